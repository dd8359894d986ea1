/* beian intake site: drag-and-drop upload and 立即汇总 progress. ES5 only (old office browsers);
   every page works without this script. */
(function () {
  function token() {
    var meta = document.getElementsByName("csrf-token")[0];
    return meta ? meta.getAttribute("content") : "";
  }

  // The busy line is a live region: what is written into it is read out by screen readers.
  function say(text) {
    var busy = document.getElementById("busy");
    busy.innerHTML = "";
    busy.appendChild(document.createTextNode(text));
  }

  function sendFile(file) {
    var form = new FormData();
    form.append("file", file);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/uploads");
    xhr.setRequestHeader("X-CSRF-Token", token());
    xhr.onload = function () {
      var answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = {}; }
      if (xhr.status === 201) {
        window.location.href = "/uploads/" + answer.id;
      } else {
        say(answer.error || ("上传失败（" + xhr.status + "）"));
      }
    };
    say("正在上传并检查，请稍候……");
    xhr.send(form);
  }

  var drop = document.getElementById("drop");
  if (drop && window.FormData) {
    drop.ondragover = function (e) { e.preventDefault(); drop.className = "drop over"; return false; };
    drop.ondragleave = function () { drop.className = "drop"; };
    drop.ondrop = function (e) {
      e.preventDefault();
      drop.className = "drop";
      if (e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files.length) {
        sendFile(e.dataTransfer.files[0]);
      }
      return false;
    };
  }
  var form = document.getElementById("upload-form");
  if (form) {
    form.onsubmit = function () { say("正在上传并检查，请稍候……"); };
  }

  // A result page opens with its outcome focused, so a screen reader reads it first.
  var outcome = document.getElementById("status");
  if (outcome && outcome.focus) { outcome.focus(); }

  var job = document.getElementById("job");
  if (job && job.getAttribute("data-state") === "running") {
    var poll = function () {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", "/api/runs/" + job.getAttribute("data-job"));
      xhr.onload = function () {
        if (xhr.status !== 200) { return; }
        var run = JSON.parse(xhr.responseText);
        var text = run.state === "running"
          ? "正在汇总（已读取 " + run.done + "/" + (run.total || "?") + " 个文件）"
          : (run.state === "done" ? "已完成：" : "失败：") + run.message;
        var target = document.getElementById("job-state");
        target.innerHTML = "";
        target.appendChild(document.createTextNode(text));
        if (run.state === "running") { setTimeout(poll, 1000); } else { window.location.reload(); }
      };
      xhr.send();
    };
    setTimeout(poll, 1000);
  }
})();
