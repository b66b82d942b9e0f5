// The public app API (/api/app/v1), exactly as any app uses it. The token travels only in the
// Authorization header: never in an address, a cookie or a log line; no cookie is sent at all.

export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.error || "server_error";
    this.help = body.help || null;
    this.wipe = body.wipe === true;
  }
}

export class Offline extends Error {}

export function createApi(base) {
  async function send(method, path, { token, json, etag } = {}) {
    const headers = { Accept: "application/json" };
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    }
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (etag) {
      headers["If-None-Match"] = `"${etag}"`;
    }
    let response;
    try {
      response = await fetch(base + path, {
        method, headers, body: json === undefined ? undefined : JSON.stringify(json),
        cache: "no-store", credentials: "omit", redirect: "error",
      });
    } catch (error) {
      throw new Offline(error.message);
    }
    if (response.ok || response.status === 304) {
      return response;
    }
    let body = {};
    try {
      body = await response.json();
    } catch {
      // not the API's JSON (a proxy's error page): the status says enough
    }
    throw new ApiError(response.status, body);
  }

  return {
    signIn: (email, code, deviceName, platform) => send("POST", "/session", {
      json: { email, code, device_name: deviceName, platform },
    }).then((response) => response.json()),
    requestCode: (email) => send("POST", "/code", { json: { email } }).then((response) => response.json()),
    sync: (token, version) => send("POST", "/sync", { token, json: { version: version || "keine" } })
      .then((response) => response.json()),
    async download(token, etag) {
      const response = await send("GET", "/database", { token, etag });
      return response.status === 304 ? null : new Uint8Array(await response.arrayBuffer());
    },
    signOut: (token) => send("DELETE", "/session", { token }),
  };
}
