// Stands in for NCALayer in the browser tests: each signature the page asks for (whatever its purpose)
// waits in a queue until the test signs the data with the test PKI in Python and hands it back.
window.__signRequests = [];
window.StudentVoucher.useSigner({
  name: "test signer",
  sign: (dataBase64) => new Promise((resolve, reject) => window.__signRequests.push({ dataBase64, resolve, reject })),
});
