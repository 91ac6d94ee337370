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
