/** The vendor's client ships no types; the Facebook fake's proof (facebook-client.test.ts) uses it untyped. */
declare module "facebook-nodejs-business-sdk";
