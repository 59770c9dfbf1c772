// comptoir: keyboard shortcuts, one-click buttons and saved replies. No build step.
(function () {
  "use strict";
  const comptoir = (window.comptoir = {});

  comptoir.help = () => document.getElementById("shortcuts").showModal();

  // Saved replies: fetch the macro with its placeholders filled in, insert at the cursor.
  comptoir.insertMacro = async (select) => {
    const url = select.value;
    select.value = "";
    if (!url) return;
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const text = await response.text();
    const area = document.getElementById("composer-text");
    const start = area.selectionStart ?? area.value.length;
    area.value = area.value.slice(0, start) + text + area.value.slice(area.selectionEnd ?? start);
    area.focus();
  };

  // Remote images in a customer's mail load only when an agent asks (they can track opens).
  comptoir.loadImages = (button) => {
    button.closest(".message").querySelectorAll("img[data-remote-src]").forEach((img) => {
      img.referrerPolicy = "no-referrer";
      img.src = img.dataset.remoteSrc;
    });
    button.remove();
  };

  const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const rows = () => Array.from(document.querySelectorAll("#rows tr.row"));
  let selected = -1;
  function select(index) {
    const all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("selected", i === selected));
    all[selected].scrollIntoView({ block: "nearest" });
  }
  function compose(kind) {
    const radio = document.querySelector(`.composer input[name=kind][value=${kind}]`);
    if (!radio) return;
    radio.click();
    document.getElementById("composer-text").focus();
  }

  let lastKey = "";
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.id === "composer-text") {
      event.preventDefault();
      event.target.form.requestSubmit();
      return;
    }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    const page = document.body.dataset.page;
    const key = event.key;
    if (key === "?") { comptoir.help(); }
    else if (lastKey === "g" && key === "i") { window.location = "/inbox/"; }
    else if (page === "inbox" && key === "j") { select(selected + 1); }
    else if (page === "inbox" && key === "k") { select(selected - 1); }
    else if (page === "inbox" && (key === "o" || key === "Enter") && selected >= 0) {
      window.location = rows()[selected].dataset.href;
    }
    else if (page === "conversation" && key === "r") { event.preventDefault(); compose("reply"); }
    else if (page === "conversation" && key === "n") { event.preventDefault(); compose("note"); }
    else if (page === "conversation" && key === "e") {
      const form = document.getElementById("solve-form");
      if (form && form.querySelector("button")) form.requestSubmit();
    }
    else { lastKey = key; return; }
    lastKey = "";
  });

  document.addEventListener("change", (event) => {
    // a property select saves itself; only that property is sent
    const form = event.target.closest("form.prop");
    if (form) form.requestSubmit();
  });

  // A button marked data-once can't submit its form twice (the server dedupes anyway).
  document.addEventListener("submit", (event) => {
    const button = event.target.querySelector("button[data-once]");
    if (!button) return;
    if (event.target.dataset.sent) { event.preventDefault(); return; }
    event.target.dataset.sent = "1";
    setTimeout(() => { button.disabled = true; }, 0);
  });

  // Whole inbox rows are clickable.
  document.addEventListener("click", (event) => {
    const row = event.target.closest("#rows tr.row");
    if (row && !event.target.closest("a, button, form")) window.location = row.dataset.href;
  });
})();
