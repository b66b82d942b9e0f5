// Passkeys (WebAuthn): adding one on "Mein Konto" and confirming a sign-in with one. The server
// sends the options as JSON (binary fields in base64url) and checks the browser's answer.
(function () {
  "use strict";

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), function (c) { return c.charCodeAt(0); }).buffer;
  }

  function toBase64url(buffer) {
    var text = String.fromCharCode.apply(null, new Uint8Array(buffer));
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfHeaders() {
    var token = document.querySelector('meta[name="csrf-token"]');
    var headers = { "Content-Type": "application/json" };
    if (token) {
      headers["X-CSRFToken"] = token.content;
    }
    return headers;
  }

  function post(url, body) {
    return fetch(url, { method: "POST", headers: csrfHeaders(), body: body ? JSON.stringify(body) : "{}",
                        credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            throw new Error(data.error || "Der Passkey konnte nicht verwendet werden.");
          }
          return data;
        });
      });
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var json = { id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type,
                 clientExtensionResults: credential.getClientExtensionResults(), response: {
                   clientDataJSON: toBase64url(response.clientDataJSON) } };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) {
        json.response.transports = response.getTransports();
      }
    } else {
      json.response.authenticatorData = toBase64url(response.authenticatorData);
      json.response.signature = toBase64url(response.signature);
      if (response.userHandle) {
        json.response.userHandle = toBase64url(response.userHandle);
      }
    }
    if (credential.authenticatorAttachment) {
      json.authenticatorAttachment = credential.authenticatorAttachment;
    }
    return json;
  }

  function showError(button, error) {
    var box = button.parentNode.querySelector("[data-passkey-error]");
    if (box) {
      box.textContent = error.name === "NotAllowedError"
        ? "Abgebrochen oder kein passender Passkey gefunden. Bitte versuchen Sie es noch einmal."
        : error.message;
      box.hidden = false;
    }
    button.disabled = false;
  }

  function signIn(button) {
    button.disabled = true;
    post(button.dataset.optionsUrl).then(function (options) {
      options.challenge = toBytes(options.challenge);
      (options.allowCredentials || []).forEach(function (item) { item.id = toBytes(item.id); });
      return navigator.credentials.get({ publicKey: options });
    }).then(function (credential) {
      return post(button.dataset.verifyUrl, credentialJSON(credential));
    }).then(function (data) {
      window.location.assign(data.redirect);
    }).catch(function (error) { showError(button, error); });
  }

  function register(button) {
    var nameField = document.querySelector(button.dataset.nameField);
    button.disabled = true;
    post(button.dataset.optionsUrl).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.user.id = toBytes(options.user.id);
      (options.excludeCredentials || []).forEach(function (item) { item.id = toBytes(item.id); });
      return navigator.credentials.create({ publicKey: options });
    }).then(function (credential) {
      var body = credentialJSON(credential);
      body.name = nameField ? nameField.value : "";
      return post(button.dataset.verifyUrl, body);
    }).then(function (data) {
      window.location.assign(data.redirect);
    }).catch(function (error) { showError(button, error); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-passkey-sign-in], [data-passkey-register]");
    if (!button) {
      return;
    }
    event.preventDefault();
    if (!window.PublicKeyCredential) {
      showError(button, new Error("Dieser Browser unterstützt keine Passkeys."));
      return;
    }
    if (button.hasAttribute("data-passkey-sign-in")) {
      signIn(button);
    } else {
      register(button);
    }
  });
})();
