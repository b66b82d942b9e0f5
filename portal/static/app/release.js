// The app's service worker: registered for /app/, it keeps the release the app runs offline. A new
// release waits beside it; the app offers to switch now, otherwise the switch happens at the next
// start. Switching reloads the page, so page and files always come from the same release.

export function watchReleases(url, scope, onWaiting) {
  if (!("serviceWorker" in navigator)) {
    return { reload: () => window.location.reload() };
  }
  let registration = null;
  let reloading = false;
  const announce = () => {
    if (registration && registration.waiting && navigator.serviceWorker.controller) {
      onWaiting();
    }
  };
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloading) {
      window.location.reload();
    }
  });
  navigator.serviceWorker.register(url, { scope }).then((found) => {
    registration = found;
    announce();
    found.addEventListener("updatefound", () => {
      found.installing.addEventListener("statechange", announce);
    });
  }).catch(() => undefined);  // no worker (an insecure address): the app works online only

  return {
    // Take the waiting release now; without one, look for one first, then reload either way.
    async reload() {
      reloading = true;
      if (registration) {
        await registration.update().catch(() => undefined);
        const next = registration.installing || registration.waiting;
        if (next) {
          next.postMessage("take-over");  // it takes over once installed; controllerchange reloads
          window.setTimeout(() => window.location.reload(), 10000);  // unless it fails to install
          return;
        }
      }
      window.location.reload();
    },
  };
}
