/** Word lists the dataset generator draws realistic-looking values from. */

export const FIRST_NAMES = [
  "Ada", "Alan", "Amara", "Ana", "Arjun", "Beatriz", "Ben", "Carla", "Chen", "Chloé", "Dario", "Dmitri", "Elena",
  "Emeka", "Eva", "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jamal", "Jana", "Jonas", "Julia",
  "Kai", "Kenji", "Lara", "Leila", "Liam", "Lucía", "Maya", "Mateo", "Mei", "Nadia", "Nikhil", "Noah", "Olga",
  "Omar", "Priya", "Rafael", "Rosa", "Sami", "Sara", "Sofia", "Tariq", "Thea", "Tomás", "Yara", "Yusuf", "Zoë",
] as const;

export const LAST_NAMES = [
  "Abara", "Andersen", "Bauer", "Becker", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Gupta", "Haddad",
  "Hansen", "Ibrahim", "Ito", "Jansen", "Kaur", "Kim", "Kowalski", "Larsen", "López", "Martin", "Meyer",
  "Moreau", "Müller", "Nakamura", "Nguyen", "Novak", "O'Brien", "Okafor", "Park", "Patel", "Petrov", "Rossi",
  "Santos", "Schmidt", "Silva", "Singh", "Smith", "Suzuki", "Tanaka", "Wagner", "Wang", "Weber", "Yilmaz",
] as const;

export const COMPANY_STEMS = [
  "Acme", "Apex", "Aurora", "Beacon", "Blue Harbor", "Brightline", "Cascade", "Cedar", "Copper", "Crescent",
  "Delta", "Evergreen", "Falcon", "Granite", "Helix", "Horizon", "Ironwood", "Juniper", "Keystone", "Lumen",
  "Maple", "Meridian", "Nimbus", "Northwind", "Oakridge", "Orbit", "Pioneer", "Quantum", "Redwood", "Riverbend",
  "Sable", "Summit", "Tidal", "Trident", "Umbra", "Vertex", "Willow", "Zenith",
] as const;

export const COMPANY_SUFFIXES = [
  "Analytics", "Labs", "Logistics", "Health", "Systems", "Foods", "Media", "Robotics", "Energy", "Partners",
  "Software", "Retail", "Capital", "Studios", "Freight",
] as const;

export const LEGAL_FORMS = ["Inc.", "LLC", "GmbH", "Ltd", "S.A.", "B.V.", ""] as const;

export const TLDS = ["com", "io", "co", "de", "fr", "net", "org"] as const;

export const JOB_TITLES = [
  "CEO", "CTO", "VP Sales", "Head of Marketing", "Account Executive", "Customer Success Manager", "Data Engineer",
  "Operations Manager", "Product Manager", "Procurement Lead", "Office Manager", "Finance Director",
] as const;

export const PLACES = [
  ["Boston", "Massachusetts", "United States"],
  ["Austin", "Texas", "United States"],
  ["Seattle", "Washington", "United States"],
  ["Toronto", "Ontario", "Canada"],
  ["Dublin", "Leinster", "Ireland"],
  ["Berlin", "Berlin", "Germany"],
  ["Paris", "Île-de-France", "France"],
  ["Lisbon", "Lisboa", "Portugal"],
  ["São Paulo", "SP", "Brazil"],
  ["Tokyo", "Tokyo", "Japan"],
  ["Sydney", "NSW", "Australia"],
  ["Bangalore", "Karnataka", "India"],
] as const;

export const DEAL_PRODUCTS = [
  "Annual licence", "Onboarding package", "Enterprise upgrade", "Support renewal", "Pilot", "Seat expansion",
  "Data migration", "Training workshop",
] as const;

export const TICKET_SUBJECTS = [
  "Cannot log in", "Invoice shows wrong amount", "Export to CSV times out", "Request: dark mode",
  "Password reset email never arrives", "Sync stuck at 99%", "Refund request", "API returns 500 on save",
  "How do I add a user?", "Duplicate records after import",
] as const;

export const TEAMS = [
  { id: "4701", name: "Sales EMEA" },
  { id: "4702", name: "Sales Americas" },
  { id: "4703", name: "Customer Success" },
] as const;
