// What the terminal page hands the offline scripts: its addresses and settings (data attributes of
// <body>, from the portal's configuration), the messages of the offline screens (they come with the
// day's data, in the tablet's language: useTexts), and the queue line in the header.

export const body = document.body;
let words = {};

export function useTexts(snapshot) {
  words = (snapshot && snapshot.texts) || {};
}

export function texts() {
  return words;
}

export function seconds(name) {
  // a duration the page gives in seconds (data-result-seconds, …), in milliseconds
  return Number(body.dataset[name]) * 1000;
}

export function say(message) {
  const line = document.getElementById("terminal-queue");
  if (line) {
    line.textContent = message || "";
    line.hidden = !message;
  }
}
