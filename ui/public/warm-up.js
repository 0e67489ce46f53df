// One-time costs the first screen would otherwise pay on the main thread, paid here while the app's modules
// are still on their way (this classic script runs as soon as it arrives): the first Intl formatter a page
// builds loads the browser's locale data (20 to 60 ms, many times that on a slow phone), and the first read
// of local storage waits for the browser to open it. Same formats and keys as the app's.
(function () {
  try {
    localStorage.getItem('jobflow.locale');
  } catch (e) {
    // No storage (private mode): the app reads none either.
  }
  try {
    var now = Date.now();
    new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' }).format(now);
    new Intl.NumberFormat().format(1234.5);
    new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' }).format(-5, 'minute');
  } catch (e) {
    // A browser without one of these: the app formats as it can.
  }
})();
