// The therapist database, opened in the browser with sql.js (SQLite compiled to WebAssembly) and
// read with SQL. Everything the app shows comes from here.

// The schema of portal/therapist_db/generator.py this release reads (a test keeps them equal).
export const SCHEMA_VERSION = 2;

export class UnknownSchema extends Error {
  constructor(version) {
    super(`schema ${version}`);
    this.newer = version > SCHEMA_VERSION;
  }
}

let engine = null;

export function loadEngine(wasmUrl) {
  engine = engine || window.initSqlJs({ locateFile: () => wasmUrl });
  return engine;
}

function rows(db, sql, params = []) {
  const statement = db.prepare(sql);
  try {
    statement.bind(params);
    const found = [];
    while (statement.step()) {
      found.push(statement.getAsObject());
    }
    return found;
  } finally {
    statement.free();
  }
}

const DAY = `
  SELECT 'appointment' AS type, a.id, a.start_time, a.duration_minutes, a.title, NULL AS kind,
         p.name AS practice, p.city, NULL AS participants
    FROM appointment a JOIN practice p ON p.id = a.practice_id WHERE a.day = ?
  UNION ALL
  SELECT 'session', c.id, c.start_time, c.duration_minutes, c.name, c.kind, p.name, p.city,
         (SELECT count(*) FROM participant m WHERE m.course_id = c.id)
    FROM course_session s JOIN course c ON c.id = s.course_id JOIN practice p ON p.id = c.practice_id
   WHERE s.day = ?
  ORDER BY 3, 5`;

const COURSES = `
  SELECT c.id, c.kind, c.name, c.weekday, c.start_time, c.duration_minutes, c.capacity,
         p.name AS practice, p.city
    FROM course c JOIN practice p ON p.id = c.practice_id ORDER BY c.weekday, c.start_time, c.name`;

class TherapistData {
  constructor(db) {
    this.db = db;
    this.meta = Object.fromEntries(rows(db, "SELECT key, value FROM meta").map((row) => [row.key, row.value]));
    this.therapist = rows(db, "SELECT first_name, last_name, email FROM therapist")[0] || {};
  }

  day(day) {
    return rows(this.db, DAY, [day, day]);
  }

  courses() {
    return rows(this.db, COURSES);
  }

  nextSessions(courseId, fromDay, count) {
    return rows(this.db, "SELECT day FROM course_session WHERE course_id = ? AND day >= ? ORDER BY day LIMIT ?",
      [courseId, fromDay, count]).map((row) => row.day);
  }

  participants(courseId) {
    return rows(this.db, "SELECT first_name, last_name FROM participant WHERE course_id = ?", [courseId]);
  }

  practices() {
    return rows(this.db, "SELECT name, street, postcode, city FROM practice ORDER BY name");
  }

  close() {
    this.db.close();
  }
}

// A file's version as the portal names it: its SHA-256 (null outside a secure context, which has no
// digest; the portal's word is taken then).
export async function fileVersion(bytes) {
  if (!window.crypto || !crypto.subtle) {
    return null;
  }
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// Opens a database file; throws UnknownSchema for a schema this release does not read.
export async function openData(bytes, wasmUrl) {
  const SQL = await loadEngine(wasmUrl);
  const db = new SQL.Database(bytes);
  let version;
  try {
    version = Number(rows(db, "SELECT value FROM meta WHERE key = 'schema_version'")[0]?.value);
  } catch (error) {
    db.close();
    throw error;
  }
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw new UnknownSchema(version);
  }
  return new TherapistData(db);
}
