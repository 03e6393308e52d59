/** The vendor's client ships no types; the Mailchimp proof (mailchimp-client.test.ts) uses it untyped. */
declare module "@mailchimp/mailchimp_marketing";
