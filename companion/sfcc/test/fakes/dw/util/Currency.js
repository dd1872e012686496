'use strict';

/** dw.util.Currency.getCurrency(code): a few ISO 4217 currencies and their fraction digits. */
const DIGITS = { USD: 2, EUR: 2, GBP: 2, CAD: 2, AUD: 2, CHF: 2, JPY: 0, KRW: 0, BHD: 3 };

class Currency {
    constructor(code) {
        this.currencyCode = code;
        this.defaultFractionDigits = DIGITS[code];
        Object.freeze(this);
    }

    getCurrencyCode() { return this.currencyCode; }

    getDefaultFractionDigits() { return this.defaultFractionDigits; }

    toString() { return this.currencyCode; }

    static getCurrency(code) {
        return Object.prototype.hasOwnProperty.call(DIGITS, code) ? new Currency(code) : null;
    }
}

module.exports = Currency;
