'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { invoke, instance, SCRIPT } = require('./support/scapi');
const Transaction = require('./fakes/dw/system/Transaction');
const GiftCertificateMgr = require('./fakes/dw/order/GiftCertificateMgr');

const SITE = 'SiteGenesis';
const PREFIX = 'https://api.commercecloud.salesforce.com/documentation/error/v1/custom-errors/';
const USD = (value) => ({ currency_mnemonic: 'USD', value });

function create(body, siteId = SITE) {
    return invoke('createGiftCertificate', { siteId, body });
}

function get(code, siteId = SITE) {
    return invoke('getGiftCertificate', { siteId, pathParams: { code } });
}

function reveal(merchantId, siteId = SITE) {
    return invoke('revealGiftCertificate', { siteId, pathParams: { merchant_id: merchantId } });
}

function faultOf(answer) {
    assert.equal(answer.contentType, 'application/problem+json');
    assert.ok(answer.body.type.startsWith(PREFIX), answer.body.type);
    return [answer.status, answer.body.type.slice(PREFIX.length)];
}

test.beforeEach(() => instance.reset({ sites: [[SITE, 'USD'], ['Yen', 'JPY']] }));

test('create keeps the code exactly and sets what the Script API lets it set', () => {
    const answer = create({
        code: 'Mixed-Case code/1',
        amount: USD(40.5),
        recipient_name: 'Bo',
        recipient_email: 'bo@example.com',
        sender_name: 'Al',
        message: 'Enjoy',
        description: 'from syncd',
        enabled: false,
        status: 'pending',
    });
    assert.equal(answer.status, 201);
    assert.equal(answer.contentType, 'application/json');
    const doc = answer.body;
    assert.equal(doc.gift_certificate_code, 'Mixed-Case code/1');
    assert.equal(doc.masked_gift_certificate_code, '*************de/1');
    assert.deepEqual([doc.amount, doc.balance], [USD(40.5), USD(40.5)]);
    assert.deepEqual([doc.status, doc.enabled], ['pending', false]);
    assert.deepEqual(
        [doc.recipient_name, doc.recipient_email, doc.sender_name, doc.message, doc.description],
        ['Bo', 'bo@example.com', 'Al', 'Enjoy', 'from syncd'],
    );
    assert.match(doc.creation_date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(typeof doc.merchant_id, 'string');
    assert.equal(instance.state.transaction, null);
});

test('a created certificate is issued and enabled by default and found by code and merchant ID', () => {
    const created = create({ code: 'PLAIN-0001', amount: USD(5) }).body;
    assert.deepEqual([created.status, created.enabled], ['issued', true]);
    assert.deepEqual(get('PLAIN-0001'), { status: 200, contentType: 'application/json', body: created });
    assert.deepEqual(reveal(created.merchant_id).body, created);
    assert.equal('description' in created, false);
});

test('reveal shows the plain code of a certificate the platform issued', () => {
    instance.state.currentSiteId = SITE;
    Transaction.wrap(() => GiftCertificateMgr.createGiftCertificate(12, null));
    const [record] = instance.siteRecords();
    const answer = reveal(record.merchantID);
    assert.equal(answer.status, 200);
    assert.match(answer.body.gift_certificate_code, /^[A-Z0-9]{16}$/);
    assert.equal(answer.body.gift_certificate_code, record.code);
});

test('a duplicate code is 409 code-not-unique and changes nothing', () => {
    create({ code: 'DUP-00001', amount: USD(5) });
    const answer = create({ code: 'DUP-00001', amount: USD(9) });
    assert.deepEqual(faultOf(answer), [409, 'code-not-unique']);
    assert.equal(answer.body.detail.includes('DUP-00001'), false);
    assert.match(answer.body.detail, /\*{5}0001/);
    assert.equal(get('DUP-00001').body.amount.value, 5);
});

for (const refuseBy of ['null', 'throw']) {
    test(`a code a deleted certificate still holds is 409 code-not-reusable (refused by ${refuseBy})`, () => {
        instance.state.options.refuseBy = refuseBy;
        instance.state.options.refuseDeletedCodeReuse = true;
        const first = create({ code: 'REUSE-0001', amount: USD(5) }).body;
        instance.deleteByMerchantId(first.merchant_id);
        const answer = create({ code: 'REUSE-0001', amount: USD(3) });
        assert.deepEqual(faultOf(answer), [409, 'code-not-reusable']);
        assert.equal(JSON.stringify(answer.body).includes('REUSE-0001'), false);
        assert.equal(instance.siteRecords().length, 0);
    });
}

test('a deleted code is re-used at once when the platform allows it, under a new merchant ID', () => {
    const first = create({ code: 'REUSE-0002', amount: USD(5) }).body;
    instance.deleteByMerchantId(first.merchant_id);
    const second = create({ code: 'REUSE-0002', amount: USD(3) });
    assert.equal(second.status, 201);
    assert.notEqual(second.body.merchant_id, first.merchant_id);
    assert.equal(second.body.balance.value, 3);
});

const REFUSALS = [
    [{ amount: USD(5) }, 400, 'invalid-field', 'code'],
    [{ code: '   ', amount: USD(5) }, 400, 'invalid-field', 'code'],
    [{ code: 'x'.repeat(256), amount: USD(5) }, 400, 'invalid-field', 'code'],
    [{ code: 7, amount: USD(5) }, 400, 'invalid-field', 'code'],
    [{ code: 'C-1' }, 400, 'invalid-field', 'amount'],
    [{ code: 'C-1', amount: 5 }, 400, 'invalid-field', 'amount'],
    [{ code: 'C-1', amount: USD('5') }, 400, 'invalid-field', 'amount.value'],
    [{ code: 'C-1', amount: USD(true) }, 400, 'invalid-field', 'amount.value'],
    [{ code: 'C-1', amount: USD(1.005) }, 400, 'invalid-field', 'amount.value'],
    [{ code: 'C-1', amount: { currency_mnemonic: 'EUR', value: 5 } }, 400, 'invalid-field', 'amount.currency_mnemonic'],
    [{ code: 'C-1', amount: USD(0) }, 400, 'amount-out-of-range', null],
    [{ code: 'C-1', amount: USD(-2) }, 400, 'amount-out-of-range', null],
    [{ code: 'C-1', amount: USD(1000000.01) }, 400, 'amount-out-of-range', null],
    [{ code: 'C-1', amount: USD(5), balance: USD(5) }, 400, 'invalid-field', 'balance'],
    [{ code: 'C-1', amount: USD(5), merchant_id: 'mine' }, 400, 'invalid-field', 'merchant_id'],
    [{ code: 'C-1', amount: USD(5), message: 3 }, 400, 'invalid-field', 'message'],
    [{ code: 'C-1', amount: USD(5), enabled: 'yes' }, 400, 'invalid-field', 'enabled'],
    [{ code: 'C-1', amount: USD(5), recipient_email: 'nobody' }, 400, 'invalid-recipient-email', null],
    [{ code: 'C-1', amount: USD(5), status: 'redeemed' }, 400, 'invalid-status', null],
];

for (const [body, status, type, fieldId] of REFUSALS) {
    test(`create refuses ${JSON.stringify(body).slice(0, 70)} with ${status} ${type}`, () => {
        const answer = create(body);
        assert.deepEqual(faultOf(answer), [status, type]);
        if (fieldId !== null) {
            assert.equal(answer.body.c_fieldId, fieldId);
        }
        assert.equal(instance.siteRecords().length, 0);
    });
}

test('a body that is not a JSON object is invalid-field body', () => {
    for (const body of ['{not json', '[1]', 'null', '']) {
        const answer = create(body);
        assert.deepEqual(faultOf(answer), [400, 'invalid-field']);
        assert.equal(answer.body.c_fieldId, 'body');
    }
});

test('amounts follow the site currency and its fraction digits', () => {
    assert.equal(create({ code: 'YEN-0001', amount: { currency_mnemonic: 'JPY', value: 500 } }, 'Yen').status, 201);
    const answer = create({ code: 'YEN-0002', amount: { currency_mnemonic: 'JPY', value: 5.5 } }, 'Yen');
    assert.deepEqual([faultOf(answer), answer.body.c_fieldId], [[400, 'invalid-field'], 'amount.value']);
});

test('certificates belong to their site', () => {
    create({ code: 'SITE-0001', amount: USD(5) });
    assert.deepEqual(faultOf(get('SITE-0001', 'Yen')), [404, 'gift-certificate-not-found']);
});

test('an organization-context call (no siteId) is refused', () => {
    for (const answer of [create({ code: 'ORG-0001', amount: USD(5) }, null), get('X', null), reveal('gc-1', null)]) {
        assert.deepEqual(faultOf(answer), [400, 'site-required']);
    }
});

test('unknown code and merchant ID are 404 and the code is masked', () => {
    const answer = get('SECRET-CODE-9876');
    assert.deepEqual(faultOf(answer), [404, 'gift-certificate-not-found']);
    assert.equal(JSON.stringify(answer.body).includes('SECRET-CODE'), false);
    assert.match(answer.body.detail, /\*{12}9876/);
    assert.equal(answer.body.c_siteId, SITE);
    assert.deepEqual(faultOf(reveal('gc-404')), [404, 'gift-certificate-not-found']);
});

test('a failure inside the create transaction rolls the certificate back', (t) => {
    const proto = require('./fakes/dw/order/GiftCertificate').prototype;
    t.mock.method(proto, 'setStatus', () => { throw new Error('boom'); });
    const answer = create({ code: 'ROLL-0001', amount: USD(5) });
    assert.equal(answer.status, 500);
    assert.equal(instance.siteRecords().length, 0);
    assert.equal(instance.state.transaction, null);
});

test('the fakes refuse what the Script API refuses', () => {
    instance.state.currentSiteId = SITE;
    assert.throws(() => GiftCertificateMgr.createGiftCertificate(5, 'OUTSIDE'), /inside a transaction/);
    assert.throws(() => Transaction.wrap(() => GiftCertificateMgr.createGiftCertificate(0, 'ZERO')), /negative or zero/);
    const gc = Transaction.wrap(() => GiftCertificateMgr.createGiftCertificate(5, 'RO-000001'));
    assert.throws(() => gc.setMessage('x'), /inside a transaction/);
    assert.equal(typeof gc.setBalance, 'undefined');
    assert.equal(typeof gc.setMerchantID, 'undefined');
    assert.equal(typeof GiftCertificateMgr.deleteGiftCertificate, 'undefined');
});

test('schema.yaml, api.json and script.js name the same three public operations', () => {
    const dir = path.dirname(SCRIPT);
    const schema = fs.readFileSync(path.join(dir, 'schema.yaml'), 'utf8');
    const fromSchema = [...schema.matchAll(/operationId:\s*(\w+)/g)].map((m) => m[1]).sort();
    const api = JSON.parse(fs.readFileSync(path.join(dir, 'api.json'), 'utf8'));
    const fromApi = api.endpoints.map((e) => e.endpoint).sort();
    assert.deepEqual(fromSchema, ['createGiftCertificate', 'getGiftCertificate', 'revealGiftCertificate']);
    assert.deepEqual(fromApi, fromSchema);
    for (const entry of api.endpoints) {
        assert.deepEqual([entry.schema, entry.implementation], ['schema.yaml', 'script']);
    }
    const script = require(SCRIPT);
    assert.deepEqual(Object.keys(script).filter((k) => script[k].public === true).sort(), fromSchema);
    assert.match(schema, /tokenUrl: https:\/\/account\.demandware\.com\/dwsso\/oauth2\/access_token/);
    for (const scope of schema.matchAll(/AmOAuth2: \[(\w+)\]/g)) {
        assert.equal(scope[1], 'c_giftcert_sync');
        assert.ok(scope[1].length <= 25);
    }
    assert.equal(/additionalProperties/.test(schema), false);
});
