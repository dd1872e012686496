'use strict';

/** dw.system.Site.getCurrent(): the site the request runs for ('Sites-Site' without siteId). */
const instance = require('../../instance');

module.exports = {
    getCurrent() { return instance.currentSite(); },
};
