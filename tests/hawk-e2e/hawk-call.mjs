// A Hawk-signing curl for operators and the README's example, using @hapi/hawk.
// Usage: LKM_ID=... LKM_KEY=... [LKM_ALG=sha1] node hawk-call.mjs METHOD URL [JSON-BODY]
// Prints the status line to stderr and the body to stdout; verifies Server-Authorization.
import Hawk from '@hapi/hawk';

const [method, url, body] = process.argv.slice(2);
if (!method || !url || !process.env.LKM_ID || !process.env.LKM_KEY) {
    console.error('usage: LKM_ID=id LKM_KEY=authKey node hawk-call.mjs METHOD URL [JSON-BODY]');
    process.exit(2);
}

const credentials = { id: process.env.LKM_ID, key: process.env.LKM_KEY, algorithm: process.env.LKM_ALG || 'sha256' };
const contentType = body === undefined ? undefined : 'application/json';
const { header, artifacts } = Hawk.client.header(url, method.toUpperCase(), { credentials, payload: body, contentType });
const headers = { Authorization: header };
if (contentType) headers['Content-Type'] = contentType;
const res = await fetch(url, { method: method.toUpperCase(), headers, body });
const text = await res.text();
console.error(`HTTP ${res.status}`);
if (res.headers.get('server-authorization')) {
    try {
        Hawk.client.authenticate({ headers: Object.fromEntries(res.headers.entries()) }, credentials, artifacts, { payload: text });
    } catch (e) {
        console.error(`WARNING: the server's signature did not verify: ${e.message}`);
        process.exitCode = 3;
    }
}
console.log(text);
if (!res.ok) process.exitCode = 1;
