// Stands in for @xmldom/xmldom/lib/entities.js in the bundle (src/bundle/build.ts).
// repin parses only text/xml, where xmldom uses XML_ENTITIES alone; its HTML
// table (2,000+ entities, copied property by property into a frozen object)
// took ~40 ms to build on every filter call and was never read.
'use strict';
var freeze = require('@xmldom/xmldom/lib/conventions').freeze;

exports.XML_ENTITIES = freeze({ amp: '&', apos: "'", gt: '>', lt: '<', quot: '"' });
// Only HTML mime types select these; repin never asks for one.
exports.HTML_ENTITIES = exports.XML_ENTITIES;
exports.entityMap = exports.HTML_ENTITIES;
