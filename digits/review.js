() => {
  // The review page's keys (digits/review_page.py KEYS): Enter is the answer box's own submit; up and down
  // press Back and Skip. After every row the focus returns to the answer box, so the mouse is never needed.
  const box = () => document.querySelector("#answer textarea, #answer input");
  document.addEventListener("keydown", (event) => {
    if (!event.target.closest || !event.target.closest("#answer")) return;
    const button = {ArrowUp: "#back", ArrowDown: "#skip"}[event.key];
    if (button) {
      event.preventDefault();
      document.querySelector(button).click();
    }
  }, true);
  new MutationObserver(() => {
    const answer = box();
    if (answer && document.activeElement !== answer) answer.focus();
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}
