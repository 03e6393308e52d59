/** Vocabulary for realistic-looking generated records. */
export const FIRST_NAMES = [
  "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Linus", "Frances", "John",
  "Hedy", "Tim", "Katherine", "Dennis", "Anita", "Guido", "Shafi", "Niklaus", "Sophie", "Yukihiro", "Leslie", "Jean",
];
export const LAST_NAMES = [
  "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Perlman", "Torvalds",
  "Allen", "Backus", "Lamarr", "Berners-Lee", "Johnson", "Ritchie", "Borg", "van Rossum", "Goldwasser", "Wirth",
  "Wilson", "Matsumoto", "Lamport", "Sammet",
];
export const EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.test", "corp.test"];
export const CITIES: readonly { city: string; state: string | null; country: string; postal: string }[] = [
  { city: "San Francisco", state: "CA", country: "US", postal: "94107" },
  { city: "New York", state: "NY", country: "US", postal: "10013" },
  { city: "Austin", state: "TX", country: "US", postal: "78701" },
  { city: "Dublin", state: null, country: "IE", postal: "D02 X285" },
  { city: "Berlin", state: null, country: "DE", postal: "10115" },
  { city: "London", state: null, country: "GB", postal: "EC1A 1BB" },
  { city: "Toronto", state: "ON", country: "CA", postal: "M5V 2T6" },
  { city: "Paris", state: null, country: "FR", postal: "75002" },
];
export const STREETS = ["Market St", "Main St", "High St", "Elm Ave", "Harbor Rd", "Oak Ln", "King St", "Rue de Rivoli"];
export const PRODUCT_NAMES = [
  "Starter", "Team", "Business", "Enterprise", "Analytics add-on", "Extra seats", "Priority support", "Storage pack",
  "API calls bundle", "Onboarding", "Training session", "Audit log retention", "SSO", "Data export", "Sandbox",
];
export const CARD_BRANDS: readonly { brand: string; country: string; funding: string }[] = [
  { brand: "visa", country: "US", funding: "credit" },
  { brand: "mastercard", country: "US", funding: "debit" },
  { brand: "amex", country: "US", funding: "credit" },
  { brand: "visa", country: "GB", funding: "debit" },
  { brand: "mastercard", country: "DE", funding: "credit" },
];
export const UNIT_AMOUNTS = [500, 900, 1200, 1900, 2900, 4900, 9900, 19900, 49900];
