"""Headless Chromium for the tests: load a page, measure what a person would see.

``look_at(html, tmp_path)`` writes the page with a probe script added, loads it in
Chromium (Debian's ``chromium``; ``.ci/run`` installs it) and returns what the probe
measured once the page and its images had loaded: the visible text, each image's size,
the elements that stick out of the window or their box, the words broken across lines,
and the alignment of every block of text. It also saves a screenshot beside the page.
"""

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--virtual-time-budget=10000"]

PROBE = r"""
<script>
window.addEventListener("load", () => {
  const width = document.documentElement.clientWidth;
  const out = {width, scrollWidth: document.documentElement.scrollWidth, images: [], overflowing: [],
               brokenWords: [], alignments: [], text: document.body.innerText};
  for (const img of document.images) {
    const box = img.getBoundingClientRect();
    const article = img.closest("article");
    out.images.push({alt: img.alt, loaded: img.complete && img.naturalWidth > 0, natural: img.naturalWidth,
                     article: article ? article.id : null,
                     shown: Math.round(box.width), right: Math.round(box.right), visible: box.height > 0});
  }
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > width + 1 || el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      out.overflowing.push(el.tagName + ": " + el.textContent.slice(0, 60));
    const style = getComputedStyle(el);
    if (["block", "list-item", "table-cell"].includes(style.display))
      if ([...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        out.alignments.push(style.textAlign);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.textContent;
    if (node.parentElement.closest("script, style, summary") || !node.parentElement.offsetParent) continue;
    let top = null;
    for (let i = 0; i < text.length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) continue;
      if (top !== null && rect.top > top + 2 && /\w/.test(text[i]) && /\w/.test(text[i - 1]))
        out.brokenWords.push(text.slice(Math.max(0, i - 12), i) + "|" + text.slice(i, i + 12));
      top = rect.top;
    }
  }
  const probe = document.createElement("pre");
  probe.id = "nnlab-probe";
  probe.hidden = true;
  probe.textContent = JSON.stringify(out);
  document.body.appendChild(probe);
});
</script>
"""


def chromium():
    """The Chromium command, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run_chromium(args, timeout=90):
    with tempfile.TemporaryDirectory(prefix="nnlab-chromium-") as profile:
        return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=timeout)


def look_at(html, folder, name="page", width=900, height=1200):
    """What a person sees of ``html`` in a window ``width`` wide: the probe's measures (a dict)."""
    folder = Path(folder)
    page = folder / f"{name}.html"
    page.write_text(html.replace("</body>", PROBE + "</body>") if "</body>" in html else html + PROBE,
                    encoding="utf-8")
    run = run_chromium([f"--window-size={width},{height}", f"--screenshot={folder / (name + '.png')}",
                        "--dump-dom", page.as_uri()])
    found = re.search(r'<pre id="nnlab-probe"[^>]*>(.*?)</pre>', run.stdout, re.DOTALL)
    assert found, f"Chromium gave no measures for {page}: {run.stderr[-2000:]}"
    return json.loads(found[1].replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
                      .replace("&amp;", "&"))


def why_not():
    """Why these tests cannot run here, or None."""
    if chromium() is None:
        return "Chromium is not installed (Debian: apt-get install chromium; .ci/run does it)"
    try:
        run = run_chromium(["--dump-dom", "data:text/html,<p>ok</p>"], timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"Chromium does not start here: {error}"
    return None if "<p>ok</p>" in run.stdout else f"Chromium does not render here: {run.stderr[-500:]}"
