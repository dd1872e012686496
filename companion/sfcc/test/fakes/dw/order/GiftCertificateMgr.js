'use strict';

/**
 * dw.order.GiftCertificateMgr: create (in a transaction; amount neither negative nor zero; a
 * non-empty code used as given and unique for the current site, else not created), look up by
 * code or merchant ID (null when there is none). There is no delete and no balance setter.
 */
const instance = require('../../instance');
const GiftCertificate = require('./GiftCertificate');

function wrap(record) {
    return record ? new GiftCertificate(record.siteId + '\u0000' + record.merchantID) : null;
}

module.exports = {
    createGiftCertificate(amount, code) {
        instance.requireTransaction('createGiftCertificate');
        if (typeof amount !== 'number' || !(amount > 0)) {
            throw new Error(`IllegalArgumentException: amount ${amount} must not be negative or zero`);
        }
        const chosen = code === null || code === undefined || code === '' ? instance.newCode() : code;
        return wrap(instance.insert(amount, chosen));
    },
    getGiftCertificateByCode(code) {
        return wrap(instance.siteRecords().find((r) => r.code === code));
    },
    getGiftCertificate(code) {
        return this.getGiftCertificateByCode(code);
    },
    getGiftCertificateByMerchantID(merchantID) {
        return wrap(instance.siteRecords().find((r) => r.merchantID === merchantID));
    },
};
