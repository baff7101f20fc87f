// Hostile input (issue 7, part 4): at least 100,000 generated requests against one running
// instance: random and mutated Hawk headers, validly signed requests with random JSON, base64,
// ciphertext lengths, ids and query strings, odd methods and content types, huge bodies, slow
// bodies and headers, and malformed HTTP on raw sockets. Checks: no 5xx, every request answered,
// the process never dies, its memory is flat over the second half, and it answers normally afterwards.
// Env: as lib.mjs (uses the first instance directly). FUZZ_REQUESTS overrides the count.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import Hawk from '@hapi/hawk';
import { admin, ctl, encryptFor, instances, newGenesysCredential, pass, path, pick, report, rssMiB, call } from './lib.mjs';

const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 100_000);
const base = new URL(instances[0]);
const pid = ctl('pid', '1');
/** Field 22 of /proc/PID/stat (start time), and the process is not a zombie. */
const startTime = id => {
    const stat = readFileSync(`/proc/${id}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.notEqual(fields[0], 'Z', 'the instance is a zombie');
    return fields[19];
};
const startedAs = startTime(pid);
const genesys = await newGenesysCredential('genesys-fuzz');
const keypair = (await call(instances[0], genesys, 'POST', '/keypair')).json;

const rand = n => Math.floor(Math.random() * n);
const bytes = n => crypto.randomBytes(n);
const chance = p => Math.random() < p;
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

// Strings a parser may choke on. Header values go out as latin1, so UTF-8 is sent as its bytes.
const nasty = [
    '', ' ', '"', '\\', '\\"', ',', '=', '==', 'null', 'undefined', 'NaN', '-1', '0', '1e309', '9'.repeat(40),
    '../../etc/passwd', '%00', '%2e%2e%2f', '<script>', "' OR 1=1 --", '${jndi:ldap://x}', '{}', '[]',
    'é', 'ß', '日本語', '🔑', '\u202e', '\ufeff', 'Ω≈ç√', 'a'.repeat(300), 'x'.repeat(5000),
];
const utf8AsLatin1 = s => Buffer.from(s, 'utf8').toString('latin1');
const randomText = () => chance(0.5) ? pick(nasty) : Array.from({ length: rand(40) }, () => String.fromCodePoint(pick([rand(0x7f - 0x20) + 0x20, rand(0x800) + 0x80, rand(0x1000) + 0x4e00, 0x1f511]))).join('');
const randomJson = depth => {
    switch (rand(depth > 3 ? 5 : 8)) {
        case 0: return null;
        case 1: return rand(2) === 0;
        case 2: return pick([0, -1, 1e308, -1e-308, 2 ** 53 + 1, 3.14]);
        case 3: case 4: return randomText();
        case 5: return Array.from({ length: rand(4) }, () => randomJson(depth + 1));
        default: return Object.fromEntries(Array.from({ length: rand(4) }, () => [pick(['keypairId', 'body', 'decryptType', 'id', 'role', randomText()]), randomJson(depth + 1)]));
    }
};
const randomBase64 = () => {
    const raw = bytes(pick([0, 1, 2, 3, 16, 255, 256, 383, 384, 385, 512, 1024, 4096])).toString('base64');
    switch (rand(6)) {
        case 0: return raw.replace(/=+$/, '');                  // padding removed
        case 1: return raw.slice(0, Math.max(0, raw.length - rand(4) - 1)); // truncated
        case 2: return raw.replace(/[A-Za-z]/, pick(['!', '*', ' ', '\n', '-', '_', 'é']));
        case 3: return ` ${raw}\n`;
        default: return raw;
    }
};

// ---- request generators: each returns { category, method, path, headers, body } -------------
const signed = (credentials, method, p, body, contentType = 'application/json', withHash = true) => {
    const url = `${instances[0]}${p}`;
    const { header } = Hawk.client.header(url, method, { credentials, payload: withHash ? body ?? '' : undefined, contentType });
    return header;
};

function mutateHeader(header) {
    switch (rand(10)) {
        case 0: { const i = rand(header.length); return header.slice(0, i) + String.fromCharCode(rand(94) + 33) + header.slice(i + 1); }
        case 1: return header.replace(/(id|ts|nonce|mac|hash|ext)="[^"]*",?\s?/, '');
        case 2: return header.replace(/ts="\d+"/, `ts="${pick(['', '-1', '1.5', '99999999999999999999', 'abc', ' 1', '0x10', utf8AsLatin1('١٢٣')])}"`);
        case 3: return header.replace(/nonce="[^"]*"/, `nonce="${utf8AsLatin1(randomText())}"`);
        case 4: return header.replace(/id="[^"]*"/, `id="${utf8AsLatin1(randomText())}"`);
        case 5: return header.replace(/mac="[^"]*"/, `mac="${bytes(rand(64)).toString('base64')}"`);
        case 6: return `${header}, ${pick(['foo="bar"', 'id="x"', 'mac="y"', 'ext="', '=', ',,,'])}`;
        case 7: return header.slice(0, rand(header.length));
        case 8: return header.replace(/^Hawk/, pick(['hawk', 'HAWK', 'Basic', 'Bearer', 'Hawk  ', '']));
        default: return header.replace(/"/g, pick(["'", '', '""']));
    }
}

const decryptPath = () => path('/decrypt') + (chance(0.2) ? `?decryptType=${encodeURIComponent(pick(['pkcs1', 'PKCS1', 'oaep', '', randomText()]))}` : '');

const generators = [
    // No or random Authorization.
    [10, () => ({ category: 'random Authorization', method: pick(['GET', 'POST']), path: path(pick(['/keypair', '/decrypt', '/auth', '/request-log'])),
        headers: chance(0.2) ? {} : { Authorization: utf8AsLatin1(pick([randomText(), `Hawk ${randomText()}`, `Hawk id="${randomText()}"`])) } })],
    // A valid header, mutated.
    [25, () => {
        const body = JSON.stringify({ keypairId: keypair.id, body: encryptFor(keypair.publicKey, bytes(32)) });
        const p = decryptPath();
        return { category: 'mutated Hawk header', method: 'POST', path: p, body,
            headers: { 'Content-Type': 'application/json', Authorization: mutateHeader(signed(genesys, 'POST', p, body)) } };
    }],
    // Validly signed decrypts with random JSON, base64 and ciphertext lengths.
    [30, () => {
        const payload = rand(3) === 0 ? randomJson(0)
            : { keypairId: chance(0.8) ? keypair.id : randomText(), body: chance(0.7) ? randomBase64() : randomJson(2), ...(chance(0.2) ? { decryptType: randomJson(3) } : {}) };
        // Mostly JSON in UTF-8 (signed with its hash 70% of the time); 5% raw bytes that are not UTF-8.
        const broken = chance(0.05);
        const body = broken ? utf8AsLatin1(randomText()) : JSON.stringify(payload);
        const p = decryptPath();
        return { category: 'signed decrypt, hostile body', method: 'POST', path: p, body, encoding: broken ? 'latin1' : 'utf8',
            headers: { 'Content-Type': 'application/json', Authorization: signed(genesys, 'POST', p, body, 'application/json', !broken && chance(0.7)) } };
    }],
    // Validly signed requests to odd paths, ids and queries.
    [20, () => {
        const id = encodeURIComponent(randomText());
        const p = path(pick([`/keypair/${id}`, `/keypair/${id}/disable`, `/auth/${id}`, `/keypair/${keypair.id}${pick(['/', '//', '/..', '%2F'])}`,
            `/request-log?maxEntries=${encodeURIComponent(randomText())}`, `/request-log?earliestTime=${encodeURIComponent(randomText())}&latestTime=${encodeURIComponent(randomText())}`,
            `/keypair?${encodeURIComponent(randomText())}=${encodeURIComponent(randomText())}`]));
        // Admin only reads (and tries to disable ids that do not exist); genesys tries everything.
        const credentials = p.includes('/request-log') ? admin : genesys;
        const method = p.includes('/disable') ? 'POST' : 'GET';
        return { category: 'signed, hostile path or query', method, path: p, headers: { Authorization: signed(credentials, method, p, undefined, undefined, false) } };
    }],
    // Admin bodies: credential registration and key import with hostile input.
    [8, () => {
        const p = path(pick(['/auth', '/keypair/import']));
        const body = JSON.stringify(p.endsWith('/auth')
            ? { id: chance(0.8) ? randomText() : `fz-${crypto.randomUUID()}`, ...(chance(0.3) ? { role: randomJson(2) } : {}) }
            : { privateKey: pick([randomBase64(), `-----BEGIN PRIVATE KEY-----\n${randomBase64()}\n-----END PRIVATE KEY-----`, randomText()]), ...(chance(0.3) ? { id: randomText(), dateCreated: randomJson(2) } : {}) });
        return { category: 'admin, hostile body', method: 'POST', path: p, body,
            headers: { 'Content-Type': 'application/json', Authorization: signed(admin, 'POST', p, body) } };
    }],
    // Odd methods and content types, signed.
    [7, () => {
        const method = pick(['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'POST']);
        const contentType = pick(['text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', '*/*', utf8AsLatin1(randomText())]);
        // Not POST /keypair: each such request generates an RSA-3072 key, seconds of CPU on 2 cores
        // shared with 24 workers; one took over the 15 s client timeout in a clean-clone run (a
        // slow answer, not a hang: keypair creation has tests of its own).
        const p = path(method === 'POST' ? pick(['/decrypt', `/keypair/${keypair.id}`]) : pick(['/decrypt', '/keypair', `/keypair/${keypair.id}`]));
        const body = method === 'HEAD' || method === 'OPTIONS' ? undefined : JSON.stringify({ keypairId: keypair.id, body: randomBase64() });
        let authorization;
        try { authorization = signed(genesys, method, p, body, contentType, chance(0.5)); } catch { authorization = 'Hawk'; }
        // DELETE /request-log would purge the audit trail with an admin key: genesys may not, and tries.
        return { category: 'odd method or content type', method, path: p, body, headers: { 'Content-Type': contentType, Authorization: authorization } };
    }],
];
const weights = generators.reduce((sum, [w]) => sum + w, 0);
const generate = () => {
    let r = rand(weights);
    for (const [w, g] of generators) { if ((r -= w) < 0) return g(); }
    throw new Error('unreachable');
};

// ---- senders ---------------------------------------------------------------------------------
const tally = new Map();   // category -> { status -> count }
const record = (category, outcome) => {
    const t = tally.get(category) ?? {};
    t[outcome] = (t[outcome] ?? 0) + 1;
    tally.set(category, t);
};
let sent = 0;
const serverErrors = [];

function send({ category, method, path: p, headers, body, encoding = 'utf8' }) {
    return new Promise(resolve => {
        let request;
        try {
            request = http.request({ host: base.hostname, port: base.port, method, path: p, headers, agent, timeout: 15000 }, res => {
                res.resume();
                res.on('end', () => {
                    record(category, res.statusCode);
                    if (res.statusCode >= 500) serverErrors.push({ category, method, path: p, status: res.statusCode });
                    resolve();
                });
            });
        } catch (error) {
            record(category, `refused by the client (${error.code})`);   // e.g. a header Node will not send
            resolve();
            return;
        }
        request.on('timeout', () => request.destroy(new Error('timeout')));
        request.on('error', error => { record(category, `connection: ${error.code ?? error.message}`); resolve(); });
        request.end(body === undefined ? undefined : Buffer.from(body, encoding));
    });
}

/** Raw bytes on a fresh socket; the answer's status line, or how the connection ended. */
function raw(category, chunks, delayMs = 0) {
    return new Promise(resolve => {
        const socket = net.connect(Number(base.port), base.hostname);
        let answer = '';
        let timer;
        let finished = false;
        const finish = outcome => {
            if (finished) return;
            finished = true;
            clearTimeout(timer);
            socket.destroy();
            record(category, outcome);
            resolve(outcome);
        };
        socket.setTimeout(30000, () => finish('no answer in 30 s'));
        socket.on('data', d => {
            answer += d.toString('latin1');
            const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
            if (m) {
                const status = Number(m[1]);
                const unsupportedVersion = status === 505 && /^[A-Z]+ \S+ HTTP\/(?!1\.[01]\r)/.test(String(chunks[0]));
                if (status >= 500 && !unsupportedVersion) serverErrors.push({ category, status, request: String(chunks[0]).slice(0, 120) });
                finish(unsupportedVersion ? '505 to an unknown HTTP version (Kestrel)' : status);
            }
        });
        socket.on('error', e => finish(`connection: ${e.code}`));
        socket.on('close', () => finish(answer ? answer.slice(0, 20) : 'closed without an answer'));
        let i = 0;
        const next = () => { if (i < chunks.length && !socket.destroyed) { socket.write(chunks[i++]); timer = setTimeout(next, delayMs); } };
        socket.on('connect', next);
    });
}

const host = `${base.hostname}:${base.port}`;
const malformed = [
    `GARBAGE\r\n\r\n`, `GET\r\n\r\n`, `GET / HTTP/9.9\r\nHost: ${host}\r\n\r\n`, `GET /key-management/v1/keypair HTTP/1.1\r\n\r\n`,
    `GET /key-management/v1/keypair HTTP/1.1\r\nHost: ${host}\r\nNoColonHeader\r\n\r\n`,
    `GET /key-management/v1/keypair HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Hawk id="\x00"\r\n\r\n`,
    `GET /key-management/v1/keypair HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(40000)}\r\n\r\n`,
    `POST /key-management/v1/decrypt HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello`,
    `POST /key-management/v1/decrypt HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    `POST /key-management/v1/decrypt HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n`,
    `POST /key-management/v1/decrypt HTTP/1.1\r\nHost: ${host}\r\nContent-Length: -1\r\n\r\n`,
    `GET /key-management/v1/keypair/\xff\xfe HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    `GET /key-management/v1/%zz HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    `\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03`,   // a TLS ClientHello on the plain port
];

// Huge bodies: one declared, one chunked without a length; both must be refused early (413).
function huge(chunked) {
    const p = path('/decrypt');
    const category = chunked ? 'huge body, chunked' : 'huge body, 8 MiB declared';
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    return new Promise(resolve => {
        let settled = false;
        const settle = outcome => {
            if (settled) return;
            settled = true;
            record(category, outcome);
            if (typeof outcome === 'number' && outcome >= 500) serverErrors.push({ category, status: outcome });
            request.destroy();
            resolve();
        };
        const request = http.request({ host: base.hostname, port: base.port, method: 'POST', path: p, agent: false,
            headers: { 'Content-Type': 'application/json', Authorization: signed(genesys, 'POST', p, undefined, undefined, false), ...(chunked ? {} : { 'Content-Length': 8 * 1024 * 1024 }) } },
        res => { res.resume(); settle(res.statusCode); });
        request.on('error', e => settle(`connection: ${e.code}`));
        request.setTimeout(30000, () => settle('no answer in 30 s'));
        let written = 0;
        const pump = () => {
            while (!settled && written < 128 && request.write(chunk)) written++;
            if (settled) return;
            if (written < 128) request.once('drain', pump);
            else request.end();
        };
        pump();
    });
}

// ---- the run -----------------------------------------------------------------------------------
// Memory at every tenth: the process's RSS and the managed heap after the last GC (/metrics).
const memory = [];
let done = 0;
async function checkpoint() {
    const metrics = await (await fetch(`${instances[0]}/metrics`)).text();
    const heap = [...metrics.matchAll(/^dotnet_gc_last_collection_heap_size_bytes\{[^}]*\} (\S+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    memory.push({ requests: done, rssMiB: Math.round(rssMiB(pid)), gcHeapMiB: Math.round(heap / 1048576) });
}
await checkpoint();
const t0 = Date.now();
// Slow clients run alongside: a body at 1 byte/s and headers at one line per 2 s (Kestrel drops both).
const slow = [
    // Signed with the body's hash, so the service has to read the body to check it.
    ...Array.from({ length: 4 }, () => {
        const body = JSON.stringify({ keypairId: keypair.id, body: 'x'.repeat(40) });
        const head = `POST ${path('/decrypt')} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
            `Authorization: ${signed(genesys, 'POST', path('/decrypt'), body)}\r\n\r\n`;
        return raw('slow body (1 byte/s)', [head, ...body.split('')], 1000);
    }),
    ...Array.from({ length: 4 }, () => raw('slow headers (a line per 2 s)', [`GET ${path('/keypair')} HTTP/1.1\r\n`, ...Array.from({ length: 20 }, (_, i) => `X-Slow-${i}: x\r\n`)], 2000)),
];
const rawEvery = Math.floor(TOTAL / 400);
const hugeEvery = Math.floor(TOTAL / 20);
async function worker() {
    while (sent < TOTAL) {
        const n = ++sent;
        if (n % hugeEvery === 0) await huge(n % (2 * hugeEvery) === 0);
        else if (n % rawEvery === 0) await raw('malformed HTTP', [pick(malformed)]);
        else await send(generate());
        done++;
        if (done % Math.floor(TOTAL / 10) === 0) await checkpoint();
    }
}
await Promise.all(Array.from({ length: 24 }, worker));
await Promise.all(slow);
const seconds = (Date.now() - t0) / 1000;

// The same process is alive (same pid and start time, not a zombie) and answers normally.
assert.equal(startTime(pid), startedAs, 'the instance was restarted');
const secret = bytes(32);
const after = await call(instances[0], genesys, 'POST', '/decrypt', { keypairId: keypair.id, body: encryptFor(keypair.publicKey, secret) });
assert.equal(after.status, 200);
assert.equal(Buffer.from(after.json.body, 'base64').toString('hex'), secret.toString('hex'));
assert.equal((await fetch(`${instances[0]}/health/ready`)).status, 200);

const table = Object.fromEntries([...tally].map(([k, v]) => [k, v]));
const requests = [...tally.values()].reduce((sum, t) => sum + Object.values(t).reduce((a, b) => a + b, 0), 0);
await report('fuzz', { requests, seconds, memory, serverErrors: serverErrors.length, byCategory: table });
assert.ok(requests >= TOTAL, `${requests} requests, fewer than ${TOTAL}`);
assert.deepEqual(serverErrors, [], '5xx answers to hostile input');
// No request went unanswered; a connection may only be cut where the service is meant to cut it
// (malformed HTTP, bodies over the limit, slow clients), never for an ordinary request.
const mayBeCut = new Set(['malformed HTTP', 'huge body, 8 MiB declared', 'huge body, chunked', 'slow body (1 byte/s)', 'slow headers (a line per 2 s)']);
for (const [category, outcomes] of tally) {
    for (const outcome of Object.keys(outcomes)) {
        assert.ok(!/no answer|timeout/.test(outcome), `${category}: ${outcome}`);
        assert.ok(mayBeCut.has(category) || /^\d{3}$/.test(outcome), `${category}: ${outcome} x${outcomes[outcome]}`);
    }
}
// Flat: from the middle of the run on, the managed heap stays within 1.5x of its level at the
// middle (plus 16 MiB), and RSS grows by less than 10%.
const middle = memory[5];
const tail = memory.slice(5);
assert.ok(Math.max(...tail.map(m => m.gcHeapMiB)) <= middle.gcHeapMiB * 1.5 + 16, `the managed heap grew: ${JSON.stringify(memory)}`);
assert.ok(tail.at(-1).rssMiB - middle.rssMiB < middle.rssMiB * 0.1, `RSS grew in the second half: ${JSON.stringify(memory)}`);
pass(`fuzz: ${requests} hostile requests in ${seconds.toFixed(0)} s, no 5xx, same process alive, answers normally afterwards; RSS/GC heap MiB by tenths ${memory.map(m => `${m.rssMiB}/${m.gcHeapMiB}`).join(' → ')}`);
