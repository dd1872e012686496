'use strict';

/**
 * giftcert-sync v1: the syncd companion for one SFCC site (docs/companion.md).
 *
 * Three operations, each an operationId of schema.yaml marked public:
 *   createGiftCertificate   POST gift_certificates                          (201)
 *   getGiftCertificate      GET  gift_certificates/{code}                   (200)
 *   revealGiftCertificate   GET  gift_certificates/by-merchant-id/{merchant_id} (200)
 *
 * Everything it does goes through dw.order.GiftCertificateMgr: it creates with a chosen code
 * and reads certificates (their plain code included). It cannot change a balance, a merchant
 * ID or delete a certificate: the Script API offers none of these.
 *
 * Faults are RFC 9457 documents made by dw.system.RESTResponseMgr.createError; a plain code is
 * never part of one (masked: every character but the last 4 replaced by '*').
 */

var GiftCertificate = require('dw/order/GiftCertificate');
var GiftCertificateMgr = require('dw/order/GiftCertificateMgr');
var RESTResponseMgr = require('dw/system/RESTResponseMgr');
var Site = require('dw/system/Site');
var Transaction = require('dw/system/Transaction');
var Currency = require('dw/util/Currency');

var CODE_MAX = 255;
var AMOUNT_MAX = 1000000;
var ORG_SITE = 'Sites-Site';
var TEXT_FIELDS = [
    ['description', 'setDescription'],
    ['message', 'setMessage'],
    ['recipient_name', 'setRecipientName'],
    ['sender_name', 'setSenderName'],
    ['recipient_email', 'setRecipientEmail']
];
var CREATE_FIELDS = ['code', 'amount', 'enabled', 'status'].concat(
    TEXT_FIELDS.map(function (pair) { return pair[0]; })
);
var STATUS_WORDS = {};
STATUS_WORDS[GiftCertificate.STATUS_PENDING] = 'pending';
STATUS_WORDS[GiftCertificate.STATUS_ISSUED] = 'issued';
STATUS_WORDS[GiftCertificate.STATUS_PARTIALLY_REDEEMED] = 'partially_redeemed';
STATUS_WORDS[GiftCertificate.STATUS_REDEEMED] = 'redeemed';
var CREATE_STATUSES = {
    pending: GiftCertificate.STATUS_PENDING,
    issued: GiftCertificate.STATUS_ISSUED
};

/** A refusal: rendered as an RFC 9457 document by fail(). */
function Fault(status, type, title, detail, extensions) {
    this.status = status;
    this.type = type;
    this.title = title;
    this.detail = detail;
    this.extensions = extensions || {};
}

function fail(fault) {
    var error = RESTResponseMgr.createError(fault.status, fault.type, fault.title, fault.detail);
    Object.keys(fault.extensions).forEach(function (name) {
        error.custom[name] = fault.extensions[name]; // rendered as c_<name>
    });
    error.render();
}

function masked(code) {
    var hidden = Math.max(0, code.length - 4);
    return new Array(hidden + 1).join('*') + code.slice(hidden);
}

function invalidField(fieldId, detail) {
    return new Fault(400, 'invalid-field', 'Invalid field',
        detail || "The field '" + fieldId + "' is missing or incorrect.", { fieldId: fieldId });
}

/** The site this call runs for; an organization-context call (no siteId) is refused. */
function currentSite() {
    var site = Site.getCurrent();
    if (!site || site.getID() === ORG_SITE) {
        throw new Fault(400, 'site-required', 'Site required',
            'Call this API with the siteId query parameter of the site to sync.');
    }
    return site;
}

function money(value) {
    return { currency_mnemonic: value.getCurrencyCode(), value: value.getValue() };
}

/** The companion document of a certificate: what the Script API shows, plain code included. */
function documentOf(gc) {
    var doc = {
        merchant_id: gc.getMerchantID(),
        gift_certificate_code: gc.getGiftCertificateCode(),
        masked_gift_certificate_code: gc.getMaskedGiftCertificateCode(),
        amount: money(gc.getAmount()),
        balance: money(gc.getBalance()),
        status: STATUS_WORDS[gc.getStatus()],
        enabled: gc.isEnabled(),
        creation_date: gc.getCreationDate().toISOString(),
        last_modified: gc.getLastModified().toISOString()
    };
    var optional = {
        description: gc.getDescription(),
        message: gc.getMessage(),
        recipient_name: gc.getRecipientName(),
        sender_name: gc.getSenderName(),
        recipient_email: gc.getRecipientEmail(),
        order_no: gc.getOrderNo()
    };
    Object.keys(optional).forEach(function (name) {
        if (optional[name] !== null && optional[name] !== undefined) {
            doc[name] = optional[name];
        }
    });
    return doc;
}

function readBody() {
    var text = request.httpParameterMap.requestBodyAsString;
    var body;
    try {
        body = JSON.parse(text);
    } catch (e) {
        throw invalidField('body', 'The request body is not a JSON document.');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw invalidField('body', 'The request body must be a JSON object.');
    }
    return body;
}

function decimals(value) {
    var text = String(value);
    if (/e-/i.test(text)) {
        return Number(text.split(/e-/i)[1]) + (text.split(/e/i)[0].split('.')[1] || '').length;
    }
    return (text.split('.')[1] || '').length;
}

function checkCode(code) {
    if (typeof code !== 'string' || code.trim() === '' || code.length > CODE_MAX) {
        throw invalidField('code');
    }
    return code;
}

function checkAmount(raw, site) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw invalidField('amount');
    }
    var value = raw.value;
    if (typeof value !== 'number' || !isFinite(value)) {
        throw invalidField('amount.value');
    }
    var currency = site.getDefaultCurrency();
    if (raw.currency_mnemonic !== currency) {
        throw invalidField('amount.currency_mnemonic',
            'The currency ' + JSON.stringify(raw.currency_mnemonic) +
            ' is not the site currency ' + currency + '.');
    }
    if (decimals(value) > Currency.getCurrency(currency).getDefaultFractionDigits()) {
        throw invalidField('amount.value',
            'The amount ' + value + ' has more decimals than ' + currency + ' allows.');
    }
    if (value <= 0 || value > AMOUNT_MAX) {
        throw new Fault(400, 'amount-out-of-range', 'Amount out of range',
            'The amount ' + value + ' is out of range (0, ' + AMOUNT_MAX + '].',
            { value: String(value) });
    }
    return value;
}

/** The create body, checked in the order docs/companion.md gives. */
function checkCreateBody(body, site) {
    Object.keys(body).forEach(function (name) {
        if (CREATE_FIELDS.indexOf(name) < 0) {
            throw invalidField(name, "The field '" + name + "' cannot be written.");
        }
    });
    var checked = { code: checkCode(body.code), amount: checkAmount(body.amount, site), text: {} };
    TEXT_FIELDS.forEach(function (pair) {
        var name = pair[0];
        if (name in body) {
            if (typeof body[name] !== 'string') {
                throw invalidField(name);
            }
            checked.text[name] = body[name];
        }
    });
    var email = checked.text.recipient_email;
    if (email !== undefined) {
        var at = email.indexOf('@');
        if (at < 1 || at === email.length - 1) {
            throw new Fault(400, 'invalid-recipient-email', 'Invalid recipient e-mail',
                'The recipient e-mail address is not an e-mail address.');
        }
    }
    checked.enabled = true;
    if ('enabled' in body) {
        if (typeof body.enabled !== 'boolean') {
            throw invalidField('enabled');
        }
        checked.enabled = body.enabled;
    }
    checked.status = 'issued';
    if ('status' in body) {
        if (!Object.prototype.hasOwnProperty.call(CREATE_STATUSES, body.status)) {
            throw new Fault(400, 'invalid-status', 'Invalid status',
                'The gift certificate status ' + JSON.stringify(body.status) + ' cannot be set.',
                { value: String(body.status) });
        }
        checked.status = body.status;
    }
    return checked;
}

function codeTaken(code, site) {
    return new Fault(409, 'code-not-unique', 'Code not unique',
        "A gift certificate with code '" + masked(code) + "' already exists on site '" +
        site.getID() + "'.", { siteId: site.getID() });
}

function notFound(detail, site) {
    return new Fault(404, 'gift-certificate-not-found', 'Gift certificate not found', detail,
        { siteId: site.getID() });
}

/** Runs one operation: a Fault becomes its RFC 9457 answer; anything else is a 500. */
function answer(operation) {
    try {
        operation();
    } catch (e) {
        if (e instanceof Fault) {
            fail(e);
            return;
        }
        throw e;
    }
}

function create() {
    var site = currentSite();
    var checked = checkCreateBody(readBody(), site);
    if (GiftCertificateMgr.getGiftCertificateByCode(checked.code)) {
        throw codeTaken(checked.code, site);
    }
    var created = Transaction.wrap(function () {
        var gc;
        try {
            gc = GiftCertificateMgr.createGiftCertificate(checked.amount, checked.code);
        } catch (e) {
            gc = null; // the platform refused the code (not unique for the site)
        }
        if (!gc) {
            return null;
        }
        TEXT_FIELDS.forEach(function (pair) {
            if (pair[0] in checked.text) {
                gc[pair[1]](checked.text[pair[0]]);
            }
        });
        gc.setEnabled(checked.enabled);
        gc.setStatus(CREATE_STATUSES[checked.status]);
        return gc;
    });
    if (!created) {
        if (GiftCertificateMgr.getGiftCertificateByCode(checked.code)) {
            throw codeTaken(checked.code, site); // created by someone else meanwhile
        }
        // No live certificate has the code, yet the platform refused it: a deleted
        // certificate still holds it.
        throw new Fault(409, 'code-not-reusable', 'Code not reusable',
            "The code '" + masked(checked.code) + "' was refused by site '" + site.getID() +
            "' although no gift certificate has it (a deleted one may still hold it).",
            { siteId: site.getID() });
    }
    RESTResponseMgr.createSuccess(documentOf(created), 201).render();
}

function get() {
    var site = currentSite();
    var code = request.getSCAPIPathParameters().get('code');
    var gc = GiftCertificateMgr.getGiftCertificateByCode(code);
    if (!gc) {
        throw notFound("No gift certificate with code '" + masked(code) + "' for site '" +
            site.getID() + "' was found.", site);
    }
    RESTResponseMgr.createSuccess(documentOf(gc)).render();
}

function reveal() {
    var site = currentSite();
    var merchantId = request.getSCAPIPathParameters().get('merchant_id');
    var gc = GiftCertificateMgr.getGiftCertificateByMerchantID(merchantId);
    if (!gc) {
        throw notFound("No gift certificate with merchant ID '" + merchantId + "' for site '" +
            site.getID() + "' was found.", site);
    }
    RESTResponseMgr.createSuccess(documentOf(gc)).render();
}

exports.createGiftCertificate = function () { answer(create); };
exports.createGiftCertificate.public = true;

exports.getGiftCertificate = function () { answer(get); };
exports.getGiftCertificate.public = true;

exports.revealGiftCertificate = function () { answer(reveal); };
exports.revealGiftCertificate.public = true;
