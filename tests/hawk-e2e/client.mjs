// End-to-end check of the running service with @hapi/hawk, the Hawk reference implementation.
// Usage: LKM_URL=http://127.0.0.1:5000 LKM_ADMIN_ID=... LKM_ADMIN_KEY=... node client.mjs
// Prints one line per check and exits non-zero on the first failure.
import Hawk from '@hapi/hawk';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

const base = process.env.LKM_URL;
const admin = { id: process.env.LKM_ADMIN_ID, key: process.env.LKM_ADMIN_KEY, algorithm: 'sha256' };
const api = `${base}/key-management/v1`;

async function call(credentials, method, path, body, options = {}) {
    const url = `${api}${path}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const contentType = payload === undefined ? undefined : 'application/json';
    const { header, artifacts } = Hawk.client.header(url, method, {
        credentials,
        payload: options.signPayload === false ? undefined : payload,
        contentType,
        ext: options.ext,
        app: options.app,
        dlg: options.dlg,
        localtimeOffsetMsec: options.offset ?? 0,
    });
    const headers = { Authorization: options.header ?? header, 'PureCloud-User-Id': 'e2e-user' };
    if (contentType) headers['Content-Type'] = contentType;
    const res = await fetch(url, { method, headers, body: payload });
    const text = await res.text();
    const plain = { headers: Object.fromEntries(res.headers.entries()) };
    return { res, text, json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined, header, artifacts, plain };
}

function verifyServer(credentials, r) {
    // Throws unless Server-Authorization is present and its MAC and payload hash verify.
    Hawk.client.authenticate(r.plain, credentials, r.artifacts, { payload: r.text, required: true });
}

function pass(name) { console.log(`PASS ${name}`); }

const genesysId = `genesys-e2e-${crypto.randomBytes(4).toString('hex')}`;
const reg = await call(admin, 'POST', '/auth', { id: genesysId });
assert.equal(reg.res.status, 200, reg.text);
assert.deepEqual(Object.keys(reg.json).sort(), ['algorithm', 'authKey', 'id']);
assert.equal(reg.json.algorithm, 'sha256');
verifyServer(admin, reg);
pass('admin registers a genesys credential with a signed payload; server response verifies');
const genesys = { id: reg.json.id, key: reg.json.authKey, algorithm: 'sha256' };

const created = await call(genesys, 'POST', '/keypair', undefined, { ext: 'some-app-ext-data' });
assert.equal(created.res.status, 200, created.text);
assert.match(created.json.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
assert.equal(typeof created.json.dateCreated, 'number');
verifyServer(genesys, created);
const publicKey = crypto.createPublicKey({ key: Buffer.from(created.json.publicKey, 'base64'), format: 'der', type: 'pkcs1' });
assert.equal(publicKey.asymmetricKeyDetails.modulusLength, 3072);
assert.equal(publicKey.asymmetricKeyDetails.publicExponent, 65537n);
pass('genesys creates an RSA-3072 keypair (PKCS#1 public key, e=65537), with ext');

const listed = await call(genesys, 'GET', '/keypair');
assert.equal(listed.res.status, 200, listed.text);
assert.equal(listed.json[0].id, created.json.id);
const fetched = await call(genesys, 'GET', `/keypair/${created.json.id}`);
assert.equal(fetched.json.publicKey, created.json.publicKey);
verifyServer(genesys, fetched);
pass('genesys lists and gets keypairs');

const secret = crypto.randomBytes(32);
const oaep = crypto.publicEncrypt({ key: publicKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, secret);
const decrypted = await call(genesys, 'POST', '/decrypt', { keypairId: created.json.id, body: oaep.toString('base64') });
assert.equal(decrypted.res.status, 200, decrypted.text);
assert.equal(Buffer.from(decrypted.json.body, 'base64').toString('hex'), secret.toString('hex'));
verifyServer(genesys, decrypted);
pass('decrypts an OAEP-SHA1 ciphertext made by Node/OpenSSL byte-exactly');

const pkcs1 = crypto.publicEncrypt({ key: publicKey, padding: crypto.constants.RSA_PKCS1_PADDING }, secret);
const decrypted1 = await call(genesys, 'POST', '/decrypt?decryptType=pkcs1', { keypairId: created.json.id, body: pkcs1.toString('base64') });
assert.equal(decrypted1.res.status, 200, decrypted1.text);
assert.equal(Buffer.from(decrypted1.json.body, 'base64').toString('hex'), secret.toString('hex'));
pass('decrypts a PKCS#1 v1.5 ciphertext with the signed ?decryptType=pkcs1 query');

const wrongPadding = await call(genesys, 'POST', '/decrypt', { keypairId: created.json.id, body: pkcs1.toString('base64') });
const garbage = await call(genesys, 'POST', '/decrypt', { keypairId: created.json.id, body: crypto.randomBytes(384).toString('base64') });
assert.equal(wrongPadding.res.status, 400);
assert.equal(garbage.res.status, 400);
assert.equal(wrongPadding.json.detail, garbage.json.detail);
assert.equal(wrongPadding.json.message, wrongPadding.json.detail);
pass('undecryptable ciphertexts get one uniform 400 problem');

const replayed = await fetch(`${api}/keypair`, { headers: { Authorization: listed.header } });
assert.equal(replayed.status, 401);
assert.match(replayed.headers.get('www-authenticate'), /^Hawk/);
pass('a replayed header is refused with 401');

const stale = await call(genesys, 'GET', '/keypair', undefined, { offset: -10 * 60 * 1000 });
assert.equal(stale.res.status, 401);
const wwwAuth = stale.res.headers.get('www-authenticate');
assert.match(wwwAuth, /^Hawk ts="\d+", tsm="[^"]+", error="Stale timestamp"$/);
// The reference client checks the tsm against the credential key.
Hawk.client.authenticate(stale.plain, genesys, stale.artifacts);
const serverTs = Number(/ts="(\d+)"/.exec(wwwAuth)[1]);
const offset = serverTs * 1000 - Date.now();
const corrected = await call(genesys, 'GET', '/keypair', undefined, { offset });
assert.equal(corrected.res.status, 200, corrected.text);
pass('a stale timestamp gets ts/tsm, which verify, and the corrected clock succeeds');

const forbidden = await call(genesys, 'GET', '/request-log');
assert.equal(forbidden.res.status, 403);
assert.equal(forbidden.json.status, 403);
pass('a genesys credential is refused the admin endpoints with 403');

const wrongKey = await call({ ...genesys, key: 'not-the-key' }, 'GET', '/keypair');
const unknownId = await call({ ...genesys, id: 'no-such-credential' }, 'GET', '/keypair');
assert.equal(wrongKey.res.status, 401);
assert.equal(unknownId.res.status, 401);
assert.equal(wrongKey.res.headers.get('www-authenticate'), unknownId.res.headers.get('www-authenticate'));
assert.equal(wrongKey.json.detail, unknownId.json.detail);
pass('a bad MAC and an unknown id read the same');

const badHash = await call(genesys, 'POST', '/decrypt', { keypairId: created.json.id, body: oaep.toString('base64') },
    { header: undefined });
assert.equal(badHash.res.status, 200);
const tampered = Hawk.client.header(`${api}/decrypt`, 'POST', { credentials: genesys, payload: '{"other":"payload"}', contentType: 'application/json' });
const tamperedRes = await fetch(`${api}/decrypt`, { method: 'POST', headers: { Authorization: tampered.header, 'Content-Type': 'application/json' }, body: JSON.stringify({ keypairId: created.json.id, body: oaep.toString('base64') }) });
assert.equal(tamperedRes.status, 401);
pass('a body that does not match the signed payload hash is refused with 401');

const withApp = await call(genesys, 'GET', '/keypair', undefined, { app: 'some-app', dlg: 'some-dlg' });
assert.equal(withApp.res.status, 200, withApp.text);
pass('app and dlg attributes are signed and accepted');

const log = await call(admin, 'GET', '/request-log?maxEntries=50');
assert.equal(log.res.status, 200, log.text);
const decryptEntry = log.json.find(e => e.requestUri.endsWith('/decrypt') && e.credentialId === genesys.id && e.status === 200);
assert.ok(decryptEntry, 'a decrypt entry exists');
assert.equal(decryptEntry.userId, 'e2e-user');
assert.equal(decryptEntry.keypairId, created.json.id);
assert.match(decryptEntry.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
assert.equal(decryptEntry.timestampString, decryptEntry.timestamp.slice(0, -1));
assert.ok(!log.text.includes(secret.toString('base64')), 'no plaintext in the log');
pass('the request log records the decrypt (user, credential, keypair, status), never the plaintext');

console.log('ALL PASSED');
