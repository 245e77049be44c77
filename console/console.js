// Every console page is this one document: the path says which page's module fills it.
const PAGES = { '/console': './inbox.js', '/console/request': './request.js', '/console/held-mail': './held-mail.js', '/console/enter': './enter.js', '/console/reports': './reports.js' };

await import(PAGES[location.pathname.replace(/\/+$/, '')] ?? './inbox.js');
