// Reservnummerroboten: small progressive enhancements. Every form works without this file;
// it adds the live group suggestion, live robot steps and the copy button.
"use strict";
document.documentElement.classList.add("js");

// The step statuses' words come from the page (flows.rules.vocabulary), never a second table here.
function statusWords() {
  const el = document.getElementById("step-status-sv");
  return el ? JSON.parse(el.textContent) : {};
}
const STATUS_SV = statusWords();

function secondsSv(value) {
  return value == null ? "" : value.toFixed(1).replace(".", ",") + " s";
}

// ---- Registrera ny patient: group suggestion and address fields ---------------------------
function setupRegisterForm(form) {
  const dataEl = document.getElementById("group-data");
  if (!dataEl) return;
  const groups = JSON.parse(dataEl.textContent);
  const select = form.elements.namedItem("group");
  const residenceSelect = form.elements.namedItem("residence_country");
  const autoOption = document.getElementById("group-auto-option");
  const reasonText = document.getElementById("group-reason-text");
  const box = document.getElementById("address-box");
  const legend = document.getElementById("address-legend");
  const hint = document.getElementById("address-hint");
  const country = document.getElementById("address-country");
  let suggested = form.dataset.suggested || "";
  let sequence = 0;

  function effectiveGroup() {
    return select.value === "auto" ? suggested : select.value;
  }

  function updateAddress() {
    const group = groups[effectiveGroup()];
    const mode = group ? group.address : "swedish";
    box.dataset.mode = mode;
    if (mode === "residence_country") {
      legend.textContent = "Adress i boendelandet";
      hint.textContent = "Patientgruppen ska ha adressen i det land där personen bor.";
      const option = residenceSelect.selectedOptions[0];
      country.textContent = residenceSelect.value && option ? option.textContent
        : "välj boendeland ovan";
    } else {
      legend.textContent = "Bostadsadress i Sverige";
      hint.textContent = "Patientgruppen ska ha personens adress i Sverige.";
      country.textContent = "Sverige";
    }
  }

  async function refreshSuggestion() {
    const shows = form.querySelector('input[name="shows"]:checked');
    const params = new URLSearchParams({
      citizenship: form.elements.namedItem("citizenship").value,
      residence_country: residenceSelect.value,
      shows: shows ? shows.value : "",
    });
    const mine = ++sequence;
    let data;
    try {
      const response = await fetch("/api/forslag?" + params.toString(), {
        headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
      });
      if (!response.ok) return;
      data = await response.json();
    } catch (err) {
      return;
    }
    if (mine !== sequence) return; // a newer answer is on its way
    suggested = data.group_key || "";
    autoOption.textContent = data.auto_label;
    reasonText.textContent = data.reason_sv || "";
    form.dataset.suggested = suggested;
    updateAddress();
  }

  form.addEventListener("change", (event) => {
    const name = event.target.name;
    if (name === "citizenship" || name === "shows" || name === "residence_country") {
      refreshSuggestion();
    } else if (name === "group") {
      updateAddress();
    }
  });
  updateAddress();
}

// ---- Attended work: "Logga in i PMO i robotens fönster" ----------------------------------
function showSignInNotice(text) {
  const notice = document.getElementById("sign-in-notice");
  if (!notice) return;
  if (notice.textContent !== text) notice.textContent = text;
  notice.hidden = !text;
}

function setupSignInNotice(notice) {
  // On a page without a running job (its poll carries the notice), ask now and then.
  if (document.getElementById("steps")) return;
  async function poll() {
    try {
      const response = await fetch("/api/inloggning", { cache: "no-store", credentials: "same-origin" });
      if (response.ok) showSignInNotice((await response.json()).notice || "");
    } catch (err) {
      // The app may be restarting; keep trying.
    }
    window.setTimeout(poll, 1000);
  }
  poll();
}

// ---- A running job: follow the robot's steps live ----------------------------------------
// The running step's time counts on in the page from how long the server says it has run (no
// extra requests); the live region speaks only when the step or its retry changes, and then at
// most every 15 s with the time, so a screen reader is not flooded.
function durationSv(seconds) {
  const whole = Math.floor(seconds);
  if (whole < 60) return whole + " s";
  const rest = whole % 60;
  return Math.floor(whole / 60) + " min " + (rest < 10 ? "0" : "") + rest + " s";
}

function setupSteps(list) {
  const url = list.dataset.statusUrl;
  const live = document.getElementById("job-live");
  const stopButton = document.getElementById("stop-button");
  const stopping = live.dataset.stopping || "";
  let running = null; // {item, base, at, text}
  let spoken = "";

  function tick() {
    if (!running) return;
    const seconds = running.base + (performance.now() - running.at) / 1000;
    running.item.querySelector(".step-time").textContent = durationSv(seconds);
    let text = running.text;
    if (seconds >= 15) text += " Pågått i " + durationSv(Math.floor(seconds / 15) * 15) + ".";
    if (text !== spoken) {
      spoken = text;
      live.textContent = text;
    }
  }

  function render(data) {
    let current = null;
    for (const step of data.steps) {
      let item = list.querySelector('li[data-step="' + CSS.escape(step.step) + '"]');
      if (!item) {
        item = document.createElement("li");
        item.dataset.step = step.step;
        item.innerHTML = '<span class="step-icon" aria-hidden="true"></span>' +
          '<span class="step-label"><span class="step-name"></span><span class="step-note">' +
          '</span></span> <span class="step-status"></span> <span class="step-time"></span>';
        list.appendChild(item);
      }
      const note = item.querySelector(".step-note");
      item.querySelector(".step-name").textContent = step.label_sv;
      let noteText = "";
      if (step.status === "started" && step.note_sv) noteText = step.note_sv;
      else if (step.status !== "started" && step.attempt > 1) {
        noteText = "efter " + step.attempt + " försök";
      }
      note.textContent = noteText ? " – " + noteText : "";
      item.className = "step step-" + step.status;
      item.querySelector(".step-status").textContent = STATUS_SV[step.status] || step.status;
      if (step.status === "started") {
        current = { item, base: step.running_s || 0, at: performance.now(),
          text: "Roboten arbetar: " + step.label_sv + (step.note_sv ? ". " + step.note_sv : "") + " …" };
      } else {
        item.querySelector(".step-time").textContent = secondsSv(step.elapsed_s);
      }
    }
    showSignInNotice(data.sign_in_notice || "");
    if (data.stop_requested && stopButton) stopButton.disabled = true;
    if (data.state === "queued") {
      running = null;
      live.textContent = data.stop_requested ? stopping : data.queued_ahead
        ? "Väntar på roboten (" + data.queued_ahead + " före i kön) …"
        : "Väntar på roboten …";
    } else if (data.state === "running") {
      running = current;
      if (data.stop_requested) {
        if (live.textContent !== stopping) live.textContent = stopping;
        spoken = stopping;
        if (running) running.text = stopping;
      }
      if (running) tick();
      else live.textContent = data.stop_requested ? stopping : "Roboten arbetar …";
    } else {
      running = null;
      live.textContent = "Klart. Resultatet visas nedan.";
    }
  }

  async function poll() {
    try {
      const response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        render(data);
        if (data.state === "done") {
          sessionStorage.setItem("focus-outcome", "1");
          window.location.reload();
          return;
        }
      }
    } catch (err) {
      // The app may be restarting; keep trying.
    }
    window.setTimeout(poll, 300);
  }
  if (list.dataset.state !== "done") {
    window.setInterval(tick, 1000);
    poll();
  }
}

// ---- Skyddade personuppgifter: no address is asked for ----------------------------------
function setupProtected(form) {
  const box = document.getElementById("address-box");
  const check = form.elements.namedItem("protected");
  if (!box || !check) return;
  const info = document.getElementById("field-info");
  const only = document.querySelectorAll(".protected-only");
  const update = () => {
    box.hidden = check.checked;
    if (info) info.hidden = check.checked; // Info is not registered for a protected person
    for (const el of only) el.hidden = !check.checked;
  };
  check.addEventListener("change", update);
  update();
}

// ---- Kopiera -----------------------------------------------------------------------------
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.querySelector(button.dataset.copy);
  const status = document.getElementById(button.dataset.copyStatus || "copy-status")
    || { textContent: "" };
  if (!input) return;
  const copied = () => "Kopierat till urklipp kl. " +
    new Date().toLocaleTimeString("sv-SE", { hour: "2-digit", minute: "2-digit" }) + ".";
  try {
    await navigator.clipboard.writeText(input.value);
    status.textContent = copied();
    refreshClipboardNote();
  } catch (err) {
    input.focus();
    input.select();
    const ok = document.execCommand && document.execCommand("copy");
    status.textContent = ok
      ? copied()
      : "Kunde inte kopiera automatiskt. Texten är markerad: tryck Ctrl+C.";
    refreshClipboardNote();
  }
});

// ---- The clipboard line tells what the clipboard holds now ---------------------------------
// Another result page, another program or the clerk may have copied something since the robot
// put the Patient-ID there: the server compares (it never sends the clipboard's text) when the
// page is shown again, and every few seconds while it is in view.
async function refreshClipboardNote() {
  const note = document.getElementById("clipboard-note");
  if (!note || !note.dataset.clipboardUrl) return;
  try {
    const response = await fetch(note.dataset.clipboardUrl,
      { cache: "no-store", credentials: "same-origin" });
    if (!response.ok) return;
    const data = await response.json();
    if (note.textContent !== data.note) note.textContent = data.note;
    note.dataset.state = data.state;
  } catch (err) {
    // The app may have been closed: the line keeps what it said.
  }
}

function setupClipboardNote() {
  const note = document.getElementById("clipboard-note");
  if (!note || !note.dataset.clipboardUrl) return;
  window.addEventListener("focus", refreshClipboardNote);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refreshClipboardNote();
  });
  window.setInterval(() => {
    if (document.visibilityState === "visible") refreshClipboardNote();
  }, 3000);
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("register-form");
  if (form) {
    setupRegisterForm(form);
    setupProtected(form);
  }
  const notice = document.getElementById("sign-in-notice");
  if (notice) setupSignInNotice(notice);
  const steps = document.getElementById("steps");
  if (steps) setupSteps(steps);
  setupClipboardNote();
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  const outcomeTitle = document.getElementById("outcome-title");
  if (outcomeTitle && sessionStorage.getItem("focus-outcome")) {
    sessionStorage.removeItem("focus-outcome");
    outcomeTitle.focus();
  }
});
