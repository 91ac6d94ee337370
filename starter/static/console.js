// The console works without this file; it adds what a script can:
// - the service address fields show only while "the same as the address" is unchecked;
// - Enter in a field presses the form's main button, not the first button it holds;
// - a create form is sent once, however often the button is pressed;
// - a step that came back with errors puts the focus on their summary;
// - a pending customer's page follows the signup as it happens, without reloading.
"use strict";

function followCheckbox(fieldset) {
  const box = document.getElementById(fieldset.dataset.unlessChecked);
  if (!box) return;
  const update = () => { fieldset.hidden = box.checked; };
  box.addEventListener("change", update);
  update();
}

function mainButtonOnEnter(form) {
  const primary = form.querySelector(`button[value="${form.dataset.primary}"]`);
  if (!primary) return;
  form.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key === "Enter" && target instanceof HTMLInputElement && target.type !== "checkbox"
        && target.type !== "radio") {
      event.preventDefault();
      primary.click();
    }
  });
}

function sendOnce(button) {
  button.form.addEventListener("submit", (event) => {
    if (event.submitter !== button) return;
    if (button.dataset.sent) { event.preventDefault(); return; }
    button.dataset.sent = "1";
    button.setAttribute("aria-disabled", "true");
  });
}

async function refreshLive(live) {
  const answer = await fetch(live.dataset.progressUrl, {headers: {"Accept": "application/json"},
                                                        credentials: "same-origin"});
  if (!answer.ok) return false;
  const progress = await answer.json();
  if (progress.version !== live.dataset.version) {
    const page = await fetch(window.location.pathname, {credentials: "same-origin"});
    if (!page.ok) return false;
    const fresh = new DOMParser().parseFromString(await page.text(), "text/html").getElementById("live");
    if (!fresh) return false;
    live.replaceChildren(...fresh.childNodes);
    live.dataset.version = fresh.dataset.version;
    live.dataset.pending = fresh.dataset.pending;
    const said = document.getElementById("live-announcement");
    if (said) said.textContent = `Status: ${progress.status_words}`;
  }
  return live.dataset.pending === "true";
}

function follow(live) {
  if (live.dataset.pending !== "true") return;
  const tick = async () => {
    let more = true;
    try { more = await refreshLive(live); } catch (error) { more = true; }
    if (more) window.setTimeout(tick, 2000);
  };
  window.setTimeout(tick, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-unless-checked]").forEach(followCheckbox);
  document.querySelectorAll("form[data-primary]").forEach(mainButtonOnEnter);
  document.querySelectorAll("button[data-once]").forEach(sendOnce);
  const summary = document.querySelector(".error-summary[tabindex]");
  if (summary) summary.focus();
  const live = document.getElementById("live");
  if (live && live.dataset.progressUrl) follow(live);
});

// A "Copy" button beside a secret shown once: copies it and says so.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const source = document.getElementById(button.dataset.copy);
    const said = document.querySelector(`[data-copied="${button.dataset.copy}"]`);
    if (!source || !navigator.clipboard) { button.hidden = true; return; }
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        if (said) said.textContent = "Copied.";
      } catch (error) {
        if (said) said.textContent = "Copying is not allowed here: select the key and copy it.";
      }
    });
  });
});

// The Brand page's preview follows the form as it is filled in. The colour's text colour is
// the server's own choice (/console/brand/colours), so the preview shows what will be used.
function brandPreview(form) {
  const preview = document.getElementById("brand-preview");
  if (!preview) return;
  const field = (name) => form.elements.namedItem(name);
  const setText = (what, text) => preview.querySelectorAll(`[data-preview="${what}"]`)
    .forEach((node) => { node.textContent = text; });
  const update = () => {
    const name = field("display_name").value.trim() || preview.dataset.whiteLabelName;
    setText("name", name);
    setText("sender", field("email_sender_name").value.trim() || name);
  };
  let asked = 0;
  const colour = async () => {
    const value = field("primary_colour").value.trim();
    const mine = ++asked;
    const answer = await fetch(`/console/brand/colours?colour=${encodeURIComponent(value)}`,
                               {credentials: "same-origin"});
    if (!answer.ok || mine !== asked) return;
    const colours = await answer.json();
    if (!colours.valid) return;
    preview.style.setProperty("--accent", colours.accent);
    preview.style.setProperty("--on-accent", colours.on_accent);
  };
  const logo = () => {
    const file = field("logo").files[0];
    if (!file || !file.type.startsWith("image/")) return;
    const reader = new FileReader();
    reader.addEventListener("load", () => {
      let image = preview.querySelector('[data-preview="logo"]');
      if (!image) {
        image = document.createElement("img");
        image.className = "logo";
        image.alt = "";
        image.height = 40;
        image.dataset.preview = "logo";
        preview.querySelector(".preview-header").prepend(image);
      }
      image.src = reader.result;
    });
    reader.readAsDataURL(file);
  };
  form.addEventListener("input", (event) => {
    if (event.target.name === "primary_colour") colour();
    else update();
  });
  field("logo").addEventListener("change", logo);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-brand-preview]").forEach(brandPreview);
});

// Passkeys (WebAuthn): the server's options are JSON with base64url bytes; the browser's API
// takes and gives ArrayBuffers. Shown only where the browser can do it.
const fromBase64url = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0)).buffer;
};
const toBase64url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function postJson(url, body) {
  const answer = await fetch(url, {method: "POST", credentials: "same-origin",
                                   headers: {"Content-Type": "application/json"},
                                   body: JSON.stringify(body)});
  let data = {};
  try { data = await answer.json(); } catch (error) { data = {}; }
  return {ok: answer.ok, data};
}

function credentialJson(credential) {
  const response = credential.response;
  const json = {id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type,
                clientExtensionResults: credential.getClientExtensionResults(), response: {
                  clientDataJSON: toBase64url(response.clientDataJSON)}};
  if (response.attestationObject) {
    json.response.attestationObject = toBase64url(response.attestationObject);
    if (response.getTransports) json.response.transports = response.getTransports();
  } else {
    json.response.authenticatorData = toBase64url(response.authenticatorData);
    json.response.signature = toBase64url(response.signature);
    if (response.userHandle) json.response.userHandle = toBase64url(response.userHandle);
  }
  return json;
}

function passkeyRegistration(box) {
  box.hidden = false;
  const said = box.querySelector("[data-passkey-error]");
  box.querySelector("[data-passkey-add]").addEventListener("click", async () => {
    said.textContent = "";
    const csrf = box.dataset.csrfToken;
    try {
      const started = await postJson("/console/account/passkeys/options", {csrf_token: csrf});
      if (!started.ok) throw new Error("options");
      const options = started.data.options;
      options.challenge = fromBase64url(options.challenge);
      options.user.id = fromBase64url(options.user.id);
      options.excludeCredentials = (options.excludeCredentials || [])
        .map((each) => ({...each, id: fromBase64url(each.id)}));
      const credential = await navigator.credentials.create({publicKey: options});
      const name = document.getElementById("passkey-name").value;
      const done = await postJson("/console/account/passkeys", {
        csrf_token: csrf, challenge_id: started.data.challenge_id, name,
        credential: credentialJson(credential)});
      if (!done.ok) { said.textContent = done.data.error || "The passkey was not added."; return; }
      window.location.assign("/console/account?done=passkey-added");
    } catch (error) {
      said.textContent = "The passkey was not added. Try again.";
    }
  });
}

function passkeySignIn(box) {
  box.hidden = false;
  const said = box.querySelector("[data-passkey-error]");
  box.querySelector("[data-passkey-go]").addEventListener("click", async () => {
    said.textContent = "";
    const csrf = box.dataset.csrfToken;
    try {
      const started = await postJson("/console/sign-in/passkey/options", {csrf_token: csrf});
      if (!started.ok) { said.textContent = started.data.error || "Try again."; return; }
      const options = started.data.options;
      options.challenge = fromBase64url(options.challenge);
      options.allowCredentials = (options.allowCredentials || [])
        .map((each) => ({...each, id: fromBase64url(each.id)}));
      const credential = await navigator.credentials.get({publicKey: options});
      const done = await postJson("/console/sign-in/passkey", {
        csrf_token: csrf, challenge_id: started.data.challenge_id,
        credential: credentialJson(credential)});
      if (!done.ok) { said.textContent = done.data.error; return; }
      window.location.assign(done.data.location);
    } catch (error) {
      said.textContent = "That passkey did not sign you in. Try again, or ask for an emailed link.";
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  if (!window.PublicKeyCredential || !window.isSecureContext) return;
  document.querySelectorAll("[data-passkey-register]").forEach(passkeyRegistration);
  document.querySelectorAll("[data-passkey-sign-in]").forEach(passkeySignIn);
});
