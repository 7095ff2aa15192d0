// File upload to the server's draft/FILEHOST URL: POST the file body with its name in
// Content-Disposition, answer 201 Created with Location. XMLHttpRequest, not fetch,
// because only it reports upload progress.
//
// Authentication with a short-lived token fetched over IRC (FILETOKEN, `auth.token()`),
// so the page never sends the password to the web side.

const REFUSALS = {
  401: "log in to an account to send files",
  403: "you may not send files here",
  413: "the file is too large",
  415: "this kind of file is not accepted",
  507: "the server has no room for it",
};

// auth: {token: () => Promise<string|null>, onProgress(fraction)}
// Returns {done: Promise<url>, cancel()}.
export function uploadFile(url, file, auth) {
  let xhr = null;
  let cancelled = false;
  const done = (async () => {
    const headers = {
      "Content-Type": file.type || "application/octet-stream",
      "Content-Disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
    };
    const token = await auth.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (cancelled) throw new Error("cancelled");
    return new Promise((resolve, reject) => {
      xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.upload.addEventListener("progress", (ev) => {
        if (ev.lengthComputable && auth.onProgress) auth.onProgress(ev.loaded / ev.total);
      });
      xhr.addEventListener("load", () => {
        if (xhr.status === 201) {
          const location = xhr.getResponseHeader("Location");
          if (location) resolve(new URL(location, url).href);
          else reject(new Error("the server gave no address for the file"));
          return;
        }
        reject(new Error(REFUSALS[xhr.status] || `the server answered ${xhr.status}`));
      });
      xhr.addEventListener("error", () => reject(new Error("the connection failed")));
      xhr.addEventListener("abort", () => reject(new Error("cancelled")));
      xhr.send(file);
    });
  })();
  return {
    done,
    cancel() {
      cancelled = true;
      if (xhr) xhr.abort();
    },
  };
}
