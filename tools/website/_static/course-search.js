/* Search results (tools/website): a result's summary is cut from the page's text, the source of its maths
 * included. Typeset it as on the page, whole formulas only (one cut by the excerpt's start or end is dropped), so
 * that no raw \( … \) is shown. Sphinx's searchtools.js defines `Search`, whose makeSearchSummary is wrapped. */
(() => {
  const PAIRS = [["\\(", "\\)"], ["\\[", "\\]"]];

  const wholeFormulas = (text) => {
    for (const [open, close] of PAIRS) {
      const firstClose = text.indexOf(close);
      const firstOpen = text.indexOf(open);
      if (firstClose > -1 && (firstOpen === -1 || firstClose < firstOpen)) {
        text = "..." + text.slice(firstClose + close.length);
      }
      const lastOpen = text.lastIndexOf(open);
      if (lastOpen > -1 && lastOpen > text.lastIndexOf(close)) text = text.slice(0, lastOpen) + "...";
    }
    return text;
  };

  const typeset = (element) => {
    const mathjax = window.MathJax;
    if (mathjax && mathjax.startup && mathjax.startup.promise) {
      mathjax.startup.promise.then(() => mathjax.typesetPromise([element]));
    } // else MathJax has not started yet: its first pass over the page typesets the summary
  };

  const wrap = () => {
    if (typeof Search === "undefined" || !Search.makeSearchSummary || Search.courseMaths) return;
    const makeSummary = Search.makeSearchSummary;
    Search.courseMaths = true;
    Search.makeSearchSummary = (htmlText, keywords, anchor) => {
      const summary = makeSummary(htmlText, keywords, anchor);
      if (summary) {
        summary.textContent = wholeFormulas(summary.textContent);
        summary.classList.add("mathjax_process");
        setTimeout(() => typeset(summary), 0); // once it is in the page
      }
      return summary;
    };
  };

  wrap();
  document.addEventListener("DOMContentLoaded", wrap);
})();
