// Shared by the multi-instance checks: a Hawk-signed call with @hapi/hawk, RSA-OAEP encryption
// with a keypair's public key, and small helpers. Env: LKM_LB, LKM_INSTANCES, LKM_ADMIN_ID/KEY.
import Hawk from '@hapi/hawk';
import crypto from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';

export const lb = process.env.LKM_LB;
export const instances = process.env.LKM_INSTANCES.split(',');
export const admin = { id: process.env.LKM_ADMIN_ID, key: process.env.LKM_ADMIN_KEY, algorithm: 'sha256' };
export const path = p => `/key-management/v1${p}`;
export const pass = name => console.log(`PASS ${name}`);
export const sleep = ms => new Promise(r => setTimeout(r, ms));
export const pick = list => list[Math.floor(Math.random() * list.length)];

/**
 * One signed call. options: header (send this Authorization instead), userId (PureCloud-User-Id),
 * offset (the client's clock error in ms), timeout (ms), headers (more request headers). Never throws for HTTP statuses; a
 * connection error or timeout rejects.
 */
export async function call(base, credentials, method, p, body, options = {}) {
    const url = base + path(p);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const signed = Hawk.client.header(url, method, {
        credentials, payload, contentType: payload && 'application/json', localtimeOffsetMsec: options.offset ?? 0,
    });
    const headers = { Authorization: options.header ?? signed.header };
    if (payload) headers['Content-Type'] = 'application/json';
    if (options.userId) headers['PureCloud-User-Id'] = options.userId;
    Object.assign(headers, options.headers ?? {});
    const res = await fetch(url, { method, body: payload, headers, signal: AbortSignal.timeout(options.timeout ?? 30000) });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return {
        status: res.status,
        json,
        text,
        header: signed.header,
        artifacts: signed.artifacts,
        headers: res.headers,
    };
}

/** A ciphertext for the keypair's public key (OAEP-SHA1, as Genesys Cloud makes them). */
export function encryptFor(publicKeyBase64, secret) {
    const key = crypto.createPublicKey({ key: Buffer.from(publicKeyBase64, 'base64'), format: 'der', type: 'pkcs1' });
    return crypto.publicEncrypt({ key, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, secret).toString('base64');
}

/** A fresh genesys-role credential, registered through the balancer. */
export async function newGenesysCredential(prefix) {
    const reg = await call(lb, admin, 'POST', '/auth', { id: `${prefix}-${crypto.randomBytes(4).toString('hex')}` });
    if (reg.status !== 200) throw new Error(`POST /auth answered ${reg.status}: ${reg.text}`);
    return { id: reg.json.id, key: reg.json.authKey, algorithm: 'sha256' };
}

/** scripts/cluster-ctl.sh: instances, PostgreSQL, psql and the command line. Blocks the event loop: not while a load runs. */
export const ctl = (...args) => execFileSync('bash', ['scripts/cluster-ctl.sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** The same without blocking, so a load keeps running (and being measured) meanwhile. */
export const ctlAsync = (...args) => new Promise((resolve, reject) =>
    execFile('bash', ['scripts/cluster-ctl.sh', ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
        error ? reject(new Error(`cluster-ctl ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout.trim())));

/** Resident set size of a process, in MiB. */
export function rssMiB(pid) {
    const status = execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' });
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

/** Appends one JSON line to LKM_CLUSTER_REPORT when set (numbers for docs/reliability.md). */
export async function report(name, numbers) {
    console.log(`  ${name}: ${JSON.stringify(numbers)}`);
    if (process.env.LKM_CLUSTER_REPORT) {
        const { appendFileSync } = await import('node:fs');
        appendFileSync(process.env.LKM_CLUSTER_REPORT, JSON.stringify({ name, ...numbers }) + '\n');
    }
}
