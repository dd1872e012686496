'use strict';

/**
 * The one fake B2C Commerce instance behind the dw.* fakes: its sites, its gift certificates,
 * the open transaction, the request being served and the response rendered for it.
 *
 * What the fakes do is what the B2C Commerce Script API documentation says, nothing more:
 * GiftCertificateMgr.createGiftCertificate(amount, code) uses a non-empty code as given,
 * requires it unique for the current site ("if it is not unique, the Gift Certificate will not
 * be created": the fake answers null, or throws when refuseBy is 'throw') and an amount that is
 * neither negative nor zero; amount, balance, code and merchant ID are read-only; persistent
 * objects change only inside a transaction. Where the documentation is silent the choice is
 * an option: refuseDeletedCodeReuse (a deleted certificate's code cannot be used again).
 */

const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ORG_SITE = 'Sites-Site';

function makeSite(id, currency) {
    return {
        ID: id,
        getID() { return id; },
        getDefaultCurrency() { return currency; },
    };
}

const state = {
    sites: new Map(),
    currentSiteId: ORG_SITE,
    records: new Map(), // `${siteId}\u0000${merchantID}` -> record
    deletedCodes: new Set(), // `${siteId}\u0000${code}`
    serial: 0,
    transaction: null, // the records snapshot while a transaction is open
    request: null,
    response: null,
    options: { refuseBy: 'null', refuseDeletedCodeReuse: false },
    now: () => new Date(),
};

function reset({ sites = [['SiteGenesis', 'USD']], options = {} } = {}) {
    state.sites = new Map(sites.map(([id, currency]) => [id, makeSite(id, currency)]));
    state.sites.set(ORG_SITE, makeSite(ORG_SITE, 'USD'));
    state.currentSiteId = ORG_SITE;
    state.records = new Map();
    state.deletedCodes = new Set();
    state.serial = 0;
    state.transaction = null;
    state.request = null;
    state.response = null;
    state.options = { refuseBy: 'null', refuseDeletedCodeReuse: false, ...options };
}

function currentSite() {
    return state.sites.get(state.currentSiteId);
}

function siteRecords() {
    const prefix = state.currentSiteId + '\u0000';
    return [...state.records.entries()].filter(([key]) => key.startsWith(prefix)).map(([, r]) => r);
}

function requireTransaction(what) {
    if (state.transaction === null) {
        throw new Error(`${what}: a persistent object can only be changed inside a transaction`);
    }
}

function newCode() {
    for (;;) {
        let code = '';
        for (let i = 0; i < 16; i += 1) {
            code += CODE_ALPHABET[Math.floor(Math.random() * CODE_ALPHABET.length)];
        }
        if (!siteRecords().some((r) => r.code === code)) {
            return code;
        }
    }
}

function nextMerchantId() {
    state.serial += 1;
    return 'gc-' + String(state.serial).padStart(8, '0');
}

/** A new record for the current site, or null when the code is refused. */
function insert(amount, code) {
    const site = currentSite();
    const taken = siteRecords().some((r) => r.code === code);
    const reserved = state.options.refuseDeletedCodeReuse &&
        state.deletedCodes.has(site.getID() + '\u0000' + code);
    if (taken || reserved) {
        if (state.options.refuseBy === 'throw') {
            throw new Error('Gift certificate code is not unique for the site');
        }
        return null;
    }
    const now = state.now();
    const record = {
        siteId: site.getID(),
        merchantID: nextMerchantId(),
        code,
        currency: site.getDefaultCurrency(),
        amount,
        balance: amount,
        status: 1, // STATUS_ISSUED
        enabled: true,
        description: null,
        message: null,
        orderNo: null,
        recipientEmail: null,
        recipientName: null,
        senderName: null,
        creationDate: now,
        lastModified: now,
    };
    state.records.set(record.siteId + '\u0000' + record.merchantID, record);
    return record;
}

/** What OCAPI's DELETE does (the Script API has no delete): only tests and the harness call it. */
function deleteByMerchantId(merchantId) {
    const key = state.currentSiteId + '\u0000' + merchantId;
    const record = state.records.get(key);
    if (!record) {
        return false;
    }
    state.records.delete(key);
    state.deletedCodes.add(record.siteId + '\u0000' + record.code);
    return true;
}

function begin() {
    if (state.transaction !== null) {
        throw new Error('a transaction is already open');
    }
    state.transaction = new Map([...state.records].map(([k, r]) => [k, { ...r }]));
}

function commit() {
    state.transaction = null;
}

function rollback() {
    const snapshot = state.transaction;
    state.transaction = null;
    state.records = snapshot;
}

module.exports = {
    ORG_SITE,
    state,
    reset,
    currentSite,
    siteRecords,
    requireTransaction,
    newCode,
    insert,
    deleteByMerchantId,
    begin,
    commit,
    rollback,
};

reset();
