'use strict';

/**
 * dw.system.Transaction: wrap(callable) runs callable in a transaction and returns its result;
 * begin/commit/rollback for the explicit form. An exception rolls every change back.
 */
const instance = require('../../instance');

module.exports = {
    begin() { instance.begin(); },
    commit() { instance.commit(); },
    rollback() { instance.rollback(); },
    wrap(callable) {
        instance.begin();
        let result;
        try {
            result = callable();
        } catch (e) {
            instance.rollback();
            throw e;
        }
        instance.commit();
        return result;
    },
};
