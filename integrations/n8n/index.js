// The nodes and credentials are listed in package.json ("n8n"); n8n loads them from dist/.
module.exports = {};
