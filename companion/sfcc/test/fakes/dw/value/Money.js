'use strict';

/** dw.value.Money, as far as the companion reads it: a value and an ISO 4217 currency code. */
class Money {
    constructor(value, currencyCode) {
        this.value = value;
        this.currencyCode = currencyCode;
        this.available = value !== null;
        Object.freeze(this);
    }

    getValue() { return this.value; }

    getCurrencyCode() { return this.currencyCode; }

    isAvailable() { return this.available; }
}

module.exports = Money;
