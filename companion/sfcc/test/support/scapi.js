'use strict';

/**
 * Runs the cartridge's script.js unchanged, as SCAPI would: `dw/...` requires resolve to the
 * fakes in test/fakes, the global `request` carries the call (siteId, path parameters, body),
 * and the response is whatever the script rendered through RESTResponseMgr. An exception that
 * escapes the script, or a script that renders nothing, is a 500 (what SCAPI answers then).
 */
const Module = require('node:module');
const path = require('node:path');

const FAKES = path.join(__dirname, '..', 'fakes');
const SCRIPT = path.join(
    __dirname, '..', '..', 'cartridges', 'int_giftcert_sync', 'cartridge', 'rest-apis',
    'giftcert-sync', 'script.js',
);

const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveDw(request, ...rest) {
    if (typeof request === 'string' && request.startsWith('dw/')) {
        return resolve.call(this, path.join(FAKES, request), ...rest);
    }
    return resolve.call(this, request, ...rest);
};

const instance = require('../fakes/instance');
const script = require(SCRIPT);

function parameter(value) {
    const present = value !== undefined && value !== null;
    return {
        stringValue: present ? String(value) : null,
        value: present ? String(value) : null,
        submitted: present,
        empty: !present || value === '',
    };
}

function fakeRequest({ query, pathParams, body }) {
    return {
        httpParameterMap: {
            requestBodyAsString: body,
            get(name) { return parameter(query[name]); },
        },
        getSCAPIPathParameters() {
            return { get(name) { return Object.hasOwn(pathParams, name) ? pathParams[name] : null; } };
        },
        getHttpParameterMap() { return this.httpParameterMap; },
    };
}

/** Calls one operation of script.js; answers {status, contentType, body (parsed or null)}. */
function invoke(operationId, { siteId, pathParams = {}, body = '', query = {} } = {}) {
    const operation = script[operationId];
    if (typeof operation !== 'function' || operation.public !== true) {
        throw new Error(`${operationId} is not a public function of script.js`);
    }
    instance.state.currentSiteId = siteId === undefined || siteId === null ? instance.ORG_SITE : siteId;
    instance.state.response = null;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    global.request = fakeRequest({ query: siteId === undefined || siteId === null ? query : { ...query, siteId }, pathParams, body: text });
    try {
        operation();
    } catch (error) {
        instance.state.response = null;
        instance.state.lastError = error;
        return internalError();
    } finally {
        delete global.request;
        if (instance.state.transaction !== null) {
            instance.rollback(); // SCAPI never commits what a script left open
        }
    }
    const rendered = instance.state.response;
    if (rendered === null) {
        return internalError();
    }
    return {
        status: rendered.status,
        contentType: rendered.contentType,
        body: rendered.body === undefined ? null : JSON.parse(rendered.body),
    };
}

function internalError() {
    return {
        status: 500,
        contentType: 'application/problem+json',
        body: {
            type: 'https://api.commercecloud.salesforce.com/documentation/error/v1/errors/internal-server-error',
            title: 'Internal Server Error',
        },
    };
}

module.exports = { invoke, instance, script, SCRIPT };
