() => {
  // Gradio's sketchpad opens with no tool picked: a stroke draws nothing until its brush is clicked, and
  // Clear brings that back. Keep each pad's brush picked; the tool bar itself is hidden by page.css.
  // The brush is the first button of the pad's tool bar (its label is translated, so not found by name).
  const arm = () => {
    for (const pad of document.querySelectorAll("#sketch, #number-sketch")) {
      const brush = pad.querySelector(".toolbar-wrap .half-container:not(.right) button");
      if (brush && !brush.classList.contains("highlight")) brush.click();
    }
  };
  new MutationObserver(arm).observe(document.body, {subtree: true, childList: true, attributes: true,
                                                    attributeFilter: ["class"]});
  arm();
}
