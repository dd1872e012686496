#!/usr/bin/env node
'use strict';

/**
 * The cartridge on loopback HTTP, for the shared contract suite (tests/companion): script.js
 * runs unchanged against the dw.* fakes behind the paths SCAPI gives a custom API.
 *
 *   node bin/harness.js [--port N] [--token T] [--site ID:CURRENCY] [--org ORG]
 *
 * Prints one JSON line {"url", "companion_url", "token"} once listening (port 0 = any free).
 *
 * Routes:
 *   {companion_url}/gift_certificates                              POST (createGiftCertificate)
 *   {companion_url}/gift_certificates/{code}                       GET  (getGiftCertificate)
 *   {companion_url}/gift_certificates/by-merchant-id/{merchant_id} GET  (revealGiftCertificate)
 * where companion_url = http://127.0.0.1:PORT/custom/giftcert-sync/v1/organizations/{org}.
 * Every call needs "Authorization: Bearer {token}" (else 401, as SCAPI answers) and siteId.
 *
 * Test-only routes under /_fake/ (no token), standing in for what OCAPI and shoppers do:
 *   POST   /_fake/issue                         {"amount": 10}: a certificate with a platform-
 *                                               generated code -> {"code", "merchant_id"}
 *   DELETE /_fake/gift_certificates/{merchant_id}   OCAPI's DELETE -> 204 or 404
 *   PUT    /_fake/options                       {"refuse_deleted_code_reuse": bool}
 *   POST   /_fake/reset                         forget every certificate
 */
const http = require('node:http');
const crypto = require('node:crypto');
const { invoke, instance } = require('../test/support/scapi');

const SYSTEM = 'https://api.commercecloud.salesforce.com/documentation/error/v1/errors/';

function parseArgs(argv) {
    const args = { port: 0, token: crypto.randomBytes(18).toString('base64url'), site: 'SiteGenesis:USD', org: 'f_ecom_zzzz_001' };
    for (let i = 0; i < argv.length; i += 2) {
        const name = argv[i].replace(/^--/, '');
        if (!(name in args) || argv[i + 1] === undefined) {
            throw new Error(`unknown or incomplete argument ${argv[i]}`);
        }
        args[name] = name === 'port' ? Number(argv[i + 1]) : argv[i + 1];
    }
    return args;
}

function send(res, status, contentType, body) {
    const text = body === null || body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
}

function systemFault(res, status, name, title, detail) {
    send(res, status, 'application/problem+json', { type: SYSTEM + name, title, detail });
}

function segments(pathname) {
    return pathname.split('/').slice(1).map((s) => {
        try {
            return decodeURIComponent(s);
        } catch (e) {
            return null;
        }
    });
}

function route(method, rest) {
    if (rest.length === 1 && rest[0] === 'gift_certificates' && method === 'POST') {
        return ['createGiftCertificate', {}];
    }
    if (rest.length === 2 && rest[0] === 'gift_certificates' && rest[1] && method === 'GET') {
        return ['getGiftCertificate', { code: rest[1] }];
    }
    if (rest.length === 3 && rest[0] === 'gift_certificates' && rest[1] === 'by-merchant-id' &&
        rest[2] && method === 'GET') {
        return ['revealGiftCertificate', { merchant_id: rest[2] }];
    }
    return null;
}

function fakeRoute(req, res, parts, body) {
    const [, what, id] = parts;
    if (req.method === 'POST' && what === 'reset') {
        instance.reset({ sites: instance.state.siteList });
        return send(res, 204, 'application/json', null);
    }
    if (req.method === 'PUT' && what === 'options') {
        const options = JSON.parse(body || '{}');
        instance.state.options.refuseDeletedCodeReuse = Boolean(options.refuse_deleted_code_reuse);
        return send(res, 200, 'application/json', { refuse_deleted_code_reuse: instance.state.options.refuseDeletedCodeReuse });
    }
    instance.state.currentSiteId = instance.state.siteList[0][0];
    if (req.method === 'POST' && what === 'issue') {
        const { amount } = JSON.parse(body || '{}');
        instance.begin();
        const record = instance.insert(amount, instance.newCode());
        instance.commit();
        return send(res, 201, 'application/json', { code: record.code, merchant_id: record.merchantID });
    }
    if (req.method === 'DELETE' && what === 'gift_certificates' && id) {
        return send(res, instance.deleteByMerchantId(id) ? 204 : 404, 'application/json', null);
    }
    return send(res, 404, 'application/json', { error: 'no such fake route' });
}

function handler(args) {
    const base = ['custom', 'giftcert-sync', 'v1', 'organizations', args.org];
    return (req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            const url = new URL(req.url, 'http://127.0.0.1');
            const parts = segments(url.pathname);
            if (parts[0] === '_fake') {
                return fakeRoute(req, res, parts, body);
            }
            if (req.headers.authorization !== `Bearer ${args.token}`) {
                return systemFault(res, 401, 'unauthorized', 'Unauthorized',
                    'The access token is missing, invalid or expired.');
            }
            const isBase = base.every((s, i) => parts[i] === s);
            const found = isBase && !parts.includes(null) ? route(req.method, parts.slice(base.length)) : null;
            if (found === null) {
                return systemFault(res, 404, 'resource-not-found', 'Resource Not Found',
                    'No endpoint of this API matches the request.');
            }
            const siteId = url.searchParams.get('siteId');
            if (siteId !== null && !instance.state.sites.has(siteId)) {
                return systemFault(res, 404, 'site-not-found', 'Site Not Found',
                    `No site with ID '${siteId}' was found.`);
            }
            const [operationId, pathParams] = found;
            const answer = invoke(operationId, { siteId: siteId === null ? undefined : siteId, pathParams, body });
            return send(res, answer.status, answer.contentType, answer.body);
        });
    };
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    const [siteId, currency] = args.site.split(':');
    instance.state.siteList = [[siteId, currency || 'USD']];
    instance.reset({ sites: instance.state.siteList });
    const server = http.createServer(handler(args));
    server.listen(args.port, '127.0.0.1', () => {
        const url = `http://127.0.0.1:${server.address().port}`;
        const companionUrl = `${url}/custom/giftcert-sync/v1/organizations/${args.org}`;
        process.stdout.write(JSON.stringify({ url, companion_url: companionUrl, token: args.token }) + '\n');
    });
    const stop = () => server.close(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
}

main();
