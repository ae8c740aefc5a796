// The lookup page: normalise what the visitor types exactly as auditor/lookup/normalise.py
// does, hash it with the site's salt, and load the owner files it names. Everything shown comes
// from files built from hostile manifests, so text only ever goes into textContent or .value.
"use strict";

(function () {
  // Spelled out as in normalise.py: the \s of JavaScript and of Python differ.
  const EDGES = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"'<>]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"'<>]+$/g;
  const INNER = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+/g;
  const FLICKR_USER_URL = /^(?:(?:https?:)?\/\/)?(?:(?:www|m|secure)\.)?flickr\.com\/(?:photos|photo|people)\/([^/?#]+)/i;
  const HEX64 = /^[0-9a-f]{64}$/;
  const FLICKR_PAGE = "https://www.flickr.com/";
  // The grounds a visitor may cite, in the letter's order (auditor/exposure/letter.py GROUNDS).
  const GROUNDS = ["gdpr", "bipa", "licence"];
  const GROUND_LABELS = {
    gdpr: "GDPR: I live in the EU or the UK (data protection)",
    bipa: "BIPA: Illinois biometric privacy (photos of people)",
    licence: "Licence terms of the photos I took (NonCommercial, NoDerivatives, no licence)",
  };

  function normalise(text) {
    let s = String(text).normalize("NFC");
    s = s.replace(EDGES, "").replace(INNER, " ");
    const url = FLICKR_USER_URL.exec(s);
    if (url !== null) {
      s = url[1].split("%40").join("@");
    }
    s = s.toLowerCase().normalize("NFC");
    return s === "" ? null : s;
  }

  async function identifierHash(salt, identifier) {
    const bytes = new TextEncoder().encode(salt + identifier);
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function str(value) {
    return typeof value === "string" ? value : "";
  }

  // The letter from its parts, exactly as LetterText.assemble in auditor/exposure/letter.py:
  // head, then (when any chosen ground has text) the grounds heading and those grounds in
  // GROUNDS order, then tail; one final newline.
  function assemble(letter, chosen) {
    const parts = letter && typeof letter === "object" ? letter : {};
    const grounds = parts.grounds && typeof parts.grounds === "object" ? parts.grounds : {};
    const cited = GROUNDS.filter((g) => chosen.includes(g) && str(grounds[g]) !== "").map(
      (g) => str(grounds[g]),
    );
    const middle = cited.length ? str(parts.grounds_heading) + cited.join("") : "";
    return (str(parts.head) + middle + str(parts.tail)).replace(/\n+$/, "") + "\n";
  }

  // For the test suite, which checks these against the Python implementation.
  window.flickrLookup = Object.freeze({
    normalise: normalise,
    identifierHash: identifierHash,
    assemble: assemble,
  });

  const form = document.getElementById("lookup");
  const input = document.getElementById("who");
  const button = document.getElementById("go");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  let site = null;
  let generation = 0; // a slower, earlier lookup must not overwrite a newer one

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function say(text, className) {
    status.replaceChildren(el("p", text, className));
  }

  async function getJson(path) {
    const response = await fetch(path, { credentials: "same-origin", cache: "no-cache" });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    return response.json();
  }

  function listedAs(photo) {
    const where = str(photo.manifest) + ", row " + Number(photo.row);
    const url = str(photo.manifest_url);
    return url ? url + " (" + where + ")" : where;
  }

  function photoCount(photos) {
    return new Set(photos.map((p) => (p && p.photo_id) || p)).size;
  }

  function photoRow(photo) {
    const tr = document.createElement("tr");
    const link = el("td");
    const page = str(photo.page_url);
    if (page.startsWith(FLICKR_PAGE)) {
      const a = el("a", str(photo.photo_id) || "Flickr page");
      a.href = page;
      a.rel = "noopener noreferrer";
      link.append(a);
    } else {
      link.textContent = str(photo.photo_id) || "(no photo id)";
    }
    tr.append(
      link,
      el("td", str(photo.title)),
      el("td", str(photo.licence) || "not recorded"),
      el("td", listedAs(photo)),
    );
    return tr;
  }

  function who(owner) {
    const parts = [].concat(owner.names || [], owner.aliases || [], owner.nsids || []).map(str);
    return Array.from(new Set(parts.filter((p) => p !== ""))).join(" / ") || "(unknown)";
  }

  function ownerSection(owner, identifier) {
    const photos = Array.isArray(owner.photos) ? owner.photos : [];
    const section = el("section", null, "owner");
    const distinct = photoCount(photos);
    const rows = distinct === photos.length ? "" : " in " + photos.length + " manifest rows";
    section.append(el("h2", "Photos of " + who(owner) + ": " + distinct + rows));
    const kinds = (owner.identifiers || [])
      .filter((i) => i && i.value === identifier)
      .map((i) => str(i.kind).replace("username", "username or name"));
    if (kinds.length) section.append(el("p", "Matched as " + kinds.join(", ") + ".", "note"));

    const table = el("table");
    const head = el("tr");
    for (const title of ["Flickr page", "Title", "Licence recorded", "Listed in the manifest as"]) {
      head.append(el("th", title));
    }
    const body = el("tbody");
    for (const photo of photos) body.append(photoRow(photo || {}));
    const thead = el("thead");
    thead.append(head);
    table.append(thead, body);
    section.append(table);

    section.append(el("h3", "Removal request"));
    section.append(el("p", "Check it, then send it to the dataset's maintainers.", "note"));
    const letter = el("textarea", null, "request");
    letter.setAttribute("aria-label", "Removal request");
    const parts = owner.letter && typeof owner.letter === "object" ? owner.letter : {};
    const available = parts.grounds && typeof parts.grounds === "object" ? parts.grounds : {};
    const chosen = [];
    const fieldset = el("fieldset", null, "grounds");
    fieldset.append(el("legend", "Grounds to cite (tick those that apply to you)"));
    for (const ground of GROUNDS) {
      if (str(available[ground]) === "") continue;
      const label = el("label");
      const box = el("input");
      box.type = "checkbox";
      box.value = ground;
      box.addEventListener("change", () => {
        const at = chosen.indexOf(ground);
        if (box.checked && at < 0) chosen.push(ground);
        if (!box.checked && at >= 0) chosen.splice(at, 1);
        letter.value = assemble(parts, chosen);
      });
      label.append(box, document.createTextNode(" " + GROUND_LABELS[ground]));
      fieldset.append(label);
    }
    letter.value = assemble(parts, chosen);
    section.append(fieldset);
    const copy = el("button", "Copy the request");
    copy.type = "button";
    copy.addEventListener("click", async () => {
      letter.select();
      try {
        await navigator.clipboard.writeText(letter.value);
        copy.textContent = "Copied";
      } catch (error) {
        copy.textContent = "Selected: press Ctrl+C / Cmd+C";
      }
    });
    section.append(letter, el("p"), copy);
    return section;
  }

  async function lookup(typed) {
    const mine = ++generation;
    results.replaceChildren();
    const identifier = normalise(typed);
    if (identifier === null) {
      say("Type a Flickr username, path alias, NSID or URL.", "box");
      return;
    }
    say("Looking up…");
    const hash = await identifierHash(site.salt, identifier);
    const pointer = await getJson("owners/" + hash + ".json");
    if (mine !== generation) return;
    if (pointer === null || !Array.isArray(pointer.owners)) {
      say(
        "Not found: this dataset's manifests list no photos under “" + identifier + "”. " +
          "Try your NSID, your path alias and your username in turn. Manifests that keep only " +
          "image addresses (without the owner) cannot be searched by owner here.",
        "box notfound",
      );
      return;
    }
    const owners = [];
    for (const id of pointer.owners) {
      if (typeof id !== "string" || !HEX64.test(id)) continue;
      const owner = await getJson("photos/" + id + ".json");
      if (owner !== null) owners.push(owner);
    }
    if (mine !== generation) return;
    const count = owners.reduce((n, o) => n + photoCount(Array.isArray(o.photos) ? o.photos : []), 0);
    const accounts = owners.length === 1 ? "" : " (" + owners.length + " accounts match this name)";
    say("Found " + count + " photo(s) listed for “" + identifier + "”" + accounts + ".", "found");
    results.replaceChildren(...owners.map((owner) => ownerSection(owner, identifier)));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault(); // the form must never submit: the name would land in a server log
    if (site === null) return;
    lookup(input.value).catch((error) => {
      say("The lookup failed: " + error.message + ". Reload the page and try again.", "box");
    });
  });

  async function start() {
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
      document.getElementById("insecure").hidden = false;
      return;
    }
    try {
      site = await getJson("site.json");
    } catch (error) {
      site = null;
    }
    if (site === null || typeof site.salt !== "string") {
      site = null;
      say(
        "This page could not load its site.json. Serve the folder with a web server " +
          "(for example `python3 -m http.server` inside it) instead of opening the file directly.",
        "box",
      );
      return;
    }
    const manifests = Array.isArray(site.manifests) ? site.manifests.map(str).join(", ") : "";
    if (manifests) document.getElementById("covers").textContent = "Manifests covered: " + manifests + ".";
    button.disabled = false;
  }

  start();
})();
