#!/usr/bin/env node
// acquire.js: get a client-credentials token from pbisim with Microsoft's
// own @azure/msal-node, changing nothing but its authority settings.
//
//   node acquire.js MODE
//
// MODE is "secret", "cert" (SHA-256 thumbprint: MSAL signs PS256 with
// x5t#S256, its default) or "cert-sha1" (SHA-1 thumbprint: RS256 with x5t).
// Settings come from the environment (so secrets stay out of ps):
//   PBISIM_AUTHORITY  https://127.0.0.1:PORT/<tenant>   (required)
//   MSAL_CLIENT_ID    application (client) id            (required)
//   MSAL_SECRET       client secret                      (secret mode)
//   MSAL_CERT         PEM certificate file               (cert modes)
//   MSAL_KEY          PEM private key file               (cert modes)
//   MSAL_SCOPE        default https://analysis.windows.net/powerbi/api/.default
// The authority's certificate must be trusted, e.g. NODE_EXTRA_CA_CERTS.
//
// Prints one JSON line: the mode, token type, expiry, the access token's
// decoded aud, appid, tid, iss and sub, and (cert modes) the JOSE header
// of the client assertion MSAL sent.  Exits 1 on any failure (MSAL's
// errorCode and message on stderr), 2 on a usage error.
"use strict";

const fs = require("fs");
const crypto = require("crypto");
const https = require("https");

// Watch (never alter) the form bodies MSAL writes, to report which
// algorithm and thumbprint header its client assertion used.  Installed
// before MSAL is loaded; MSAL's HttpClient calls https.request().
let assertionHeader = null;
const httpsRequest = https.request;
https.request = function (...args) {
	const req = httpsRequest.apply(this, args);
	const write = req.write;
	req.write = function (chunk, ...rest) {
		const m = /(?:^|&)client_assertion=([^&]*)/.exec(String(chunk));
		if (m) {
			try {
				assertionHeader = JSON.parse(Buffer.from(
				    decodeURIComponent(m[1]).split(".")[0],
				    "base64url").toString("utf8"));
			} catch (e) {
				assertionHeader = { unreadable: String(e) };
			}
		}
		return write.call(this, chunk, ...rest);
	};
	return req;
};

const msal = require("@azure/msal-node");

function need(name) {
	const v = process.env[name];
	if (!v) {
		console.error(`acquire.js: ${name} is not set`);
		process.exit(2);
	}
	return v;
}

function decode(jwt) {
	const part = String(jwt).split(".")[1];
	if (!part)
		throw new Error("the access token is not a JWT");
	return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

async function main() {
	const mode = process.argv[2];
	if (!["secret", "cert", "cert-sha1"].includes(mode)) {
		console.error("usage: node acquire.js secret|cert|cert-sha1");
		process.exit(2);
	}
	const authority = need("PBISIM_AUTHORITY");
	const auth = {
		clientId: need("MSAL_CLIENT_ID"),
		authority: authority,
		// The only non-default settings: trust this host as an authority
		// instead of asking login.microsoftonline.com about it.
		knownAuthorities: [new URL(authority).host],
	};
	if (mode === "secret") {
		auth.clientSecret = need("MSAL_SECRET");
	} else {
		const x509 = new crypto.X509Certificate(
		    fs.readFileSync(need("MSAL_CERT")));
		const hex = (mode === "cert" ? x509.fingerprint256 :
		    x509.fingerprint).replace(/:/g, "").toLowerCase();
		auth.clientCertificate = {
			privateKey: fs.readFileSync(need("MSAL_KEY"), "utf8"),
		};
		if (mode === "cert")
			auth.clientCertificate.thumbprintSha256 = hex;
		else
			auth.clientCertificate.thumbprint = hex;
	}
	const cca = new msal.ConfidentialClientApplication({ auth: auth });
	const res = await cca.acquireTokenByClientCredential({
		scopes: [process.env.MSAL_SCOPE ||
		    "https://analysis.windows.net/powerbi/api/.default"],
	});
	if (!res || !res.accessToken)
		throw new Error("MSAL returned no access token");
	const c = decode(res.accessToken);
	console.log(JSON.stringify({
		mode: mode,
		tokenType: res.tokenType,
		expiresOn: res.expiresOn,
		fromCache: res.fromCache,
		aud: c.aud,
		appid: c.appid,
		tid: c.tid,
		iss: c.iss,
		sub: c.sub,
		assertionHeader: assertionHeader,
	}));
}

main().catch((e) => {
	console.error(`acquire.js: ${e.errorCode || e.name || "error"}: ` +
	    `${e.errorMessage || e.message || e}`);
	if (e.subError)
		console.error(`acquire.js: subError ${e.subError}`);
	process.exit(1);
});
