'use strict';

/**
 * dw.system.RESTResponseMgr: createSuccess(body[, status 100..299, default 200]) and
 * createError(status 400..599[, type[, title[, detail]]]); render() sends the response once.
 * An error's type that is not an absolute URL gets the custom-errors prefix; a type in the
 * system namespace is refused; custom attributes render as "c_<name>" (RFC 9457 document,
 * Content-Type application/problem+json).
 */
const instance = require('../../instance');

const CUSTOM_PREFIX = 'https://api.commercecloud.salesforce.com/documentation/error/v1/custom-errors/';
const SYSTEM_PREFIX = 'https://api.commercecloud.salesforce.com/documentation/error/v1/errors/';
const INFERRED = {
    400: 'bad-request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'resource-not-found',
    409: 'conflict',
    412: 'precondition-failed',
    429: 'too-many-requests',
    500: 'internal-server-error',
};

function send(status, contentType, body) {
    if (instance.state.response !== null) {
        throw new Error('IllegalStateException: a response was already rendered');
    }
    instance.state.response = { status, contentType, body: JSON.stringify(body) };
}

function checkStatus(status, low, high) {
    if (!Number.isInteger(status) || status < low || status > high) {
        throw new Error(`IllegalArgumentException: status ${status} is not in ${low}..${high}`);
    }
}

class RESTSuccessResponse {
    constructor(body, status) {
        this._body = body;
        this._status = status;
        this._rendered = false;
    }

    render() {
        if (this._rendered) {
            throw new Error('IllegalStateException: already rendered');
        }
        this._rendered = true;
        send(this._status, 'application/json', this._body);
    }
}

class RESTErrorResponse {
    constructor(status, type, title, detail) {
        this._status = status;
        this._type = type;
        this._title = title;
        this._detail = detail;
        this._rendered = false;
        this.custom = {};
    }

    getCustom() { return this.custom; }

    render() {
        if (this._rendered) {
            throw new Error('IllegalStateException: already rendered');
        }
        this._rendered = true;
        const body = { type: this._type };
        if (this._title !== null && this._title !== undefined) {
            body.title = this._title;
        }
        if (this._detail !== null && this._detail !== undefined) {
            body.detail = this._detail;
        }
        for (const [name, value] of Object.entries(this.custom)) {
            body['c_' + name] = value;
        }
        send(this._status, 'application/problem+json', body);
    }
}

function errorType(status, type) {
    if (type === undefined || type === null) {
        return INFERRED[status] ? CUSTOM_PREFIX + INFERRED[status] : 'about:blank';
    }
    if (type.startsWith(SYSTEM_PREFIX)) {
        throw new Error(`IllegalArgumentException: ${type} is in the SYSTEM error namespace`);
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(type)) {
        return type;
    }
    if (!/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(type)) {
        throw new Error(`IllegalArgumentException: ${type} is not a valid URI`);
    }
    return CUSTOM_PREFIX + type;
}

module.exports = {
    CUSTOM_PREFIX,
    SYSTEM_PREFIX,
    createSuccess(body, statusCode = 200) {
        checkStatus(statusCode, 100, 299);
        return new RESTSuccessResponse(body, statusCode);
    },
    createEmptySuccess(statusCode) {
        checkStatus(statusCode, 100, 299);
        return new RESTSuccessResponse(undefined, statusCode);
    },
    createError(statusCode, type, title, detail) {
        checkStatus(statusCode, 400, 599);
        return new RESTErrorResponse(statusCode, errorType(statusCode, type), title, detail);
    },
};
