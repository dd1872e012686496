'use strict';

/**
 * dw.order.GiftCertificate: amount, balance, giftCertificateCode, maskedGiftCertificateCode and
 * merchantID are read-only; description, enabled, message, orderNo, recipientEmail,
 * recipientName, senderName and status have setters (inside a transaction only).
 */
const instance = require('../../instance');
const Money = require('../value/Money');

const WRITABLE = {
    setDescription: 'description',
    setEnabled: 'enabled',
    setMessage: 'message',
    setOrderNo: 'orderNo',
    setRecipientEmail: 'recipientEmail',
    setRecipientName: 'recipientName',
    setSenderName: 'senderName',
};

class GiftCertificate {
    constructor(key) {
        Object.defineProperty(this, '_key', { value: key });
        Object.freeze(this);
    }

    get _record() {
        const record = instance.state.records.get(this._key);
        if (!record) {
            throw new Error('the gift certificate no longer exists');
        }
        return record;
    }

    getAmount() { return new Money(this._record.amount, this._record.currency); }

    getBalance() { return new Money(this._record.balance, this._record.currency); }

    getGiftCertificateCode() { return this._record.code; }

    getID() { return this._record.code; }

    getMaskedGiftCertificateCode(ignore = 4) {
        if (ignore < 0) {
            throw new Error('IllegalArgumentException: ignore is negative');
        }
        const code = this._record.code;
        const hidden = Math.max(0, code.length - ignore);
        return '*'.repeat(hidden) + code.slice(hidden);
    }

    getMerchantID() { return this._record.merchantID; }

    getDescription() { return this._record.description; }

    getMessage() { return this._record.message; }

    getOrderNo() { return this._record.orderNo; }

    getRecipientEmail() { return this._record.recipientEmail; }

    getRecipientName() { return this._record.recipientName; }

    getSenderName() { return this._record.senderName; }

    getStatus() { return this._record.status; }

    isEnabled() { return this._record.enabled; }

    getCreationDate() { return new Date(this._record.creationDate); }

    getLastModified() { return new Date(this._record.lastModified); }

    setStatus(status) {
        instance.requireTransaction('setStatus');
        if (![0, 1, 2, 3].includes(status)) {
            throw new Error(`setStatus: ${status} is not a gift certificate status`);
        }
        this._record.status = status;
        this._record.lastModified = instance.state.now();
    }
}

for (const [setter, field] of Object.entries(WRITABLE)) {
    GiftCertificate.prototype[setter] = function set(value) {
        instance.requireTransaction(setter);
        this._record[field] = value;
        this._record.lastModified = instance.state.now();
    };
}

GiftCertificate.STATUS_PENDING = 0;
GiftCertificate.STATUS_ISSUED = 1;
GiftCertificate.STATUS_PARTIALLY_REDEEMED = 2;
GiftCertificate.STATUS_REDEEMED = 3;

module.exports = GiftCertificate;
