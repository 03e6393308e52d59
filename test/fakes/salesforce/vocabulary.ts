/** Word lists the dataset generator draws from (a few non-ASCII names keep encoding honest). */

export const FIRST_NAMES = [
  "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas", "Mia", "Mateo",
  "Amelia", "Benjamin", "Harper", "Henry", "Evelyn", "Theodore", "Abigail", "Jack", "Emily", "Sebastian", "Ella",
  "Owen", "Scarlett", "Samuel", "Grace", "Daniel", "Chloe", "Aarav", "Priya", "Wei", "Yuki", "Hiroshi", "Fatima",
  "Omar", "Chidi", "Amara", "Zoë", "Søren", "José", "Łukasz", "Anaïs", "Björn", "Renée", "Nikolai", "Ingrid",
  "Diego", "Lucía", "Kwame", "Aisha", "Ravi", "Mei", "Sakura", "Tomás", "Élodie", "Jörg", "Siobhán", "Hana",
];

export const LAST_NAMES = [
  "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
  "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
  "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
  "Allen", "King", "Wright", "Scott", "Nguyen", "Patel", "Kim", "Chen", "Tanaka", "Müller", "Schmidt", "Dubois",
  "Rossi", "Kowalski", "Nowak", "O'Brien", "Okafor", "Mensah", "Haddad", "Ivanova", "Andersen", "Virtanen",
  "García Márquez", "Sørensen", "D'Angelo", "van der Berg", "Mbeki", "Singh",
];

export const COMPANY_STEMS = [
  "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Hooli", "Vandelay", "Soylent", "Tyrell",
  "Cyberdyne", "Aperture", "Massive", "Pied Piper", "Gringotts", "Oceanic", "Monarch", "Nakatomi", "Virtucon",
  "Blue Sun", "Black Mesa", "Dunder", "Sterling", "Bluth", "Prestige", "Vehement", "Gekko", "Ollivander", "Zorg",
  "Northwind", "Contoso", "Fabrikam", "Tailspin", "Woodgrove", "Litware", "Proseware", "Adventure", "Alpine", "Lucerne",
  "Nordlicht", "Fjord", "Sakura", "Kumo", "Aurora", "Meridian", "Halcyon", "Keystone", "Summit", "Pinnacle",
];

export const COMPANY_SUFFIXES = [
  "Inc.", "LLC", "Ltd", "GmbH", "Corp.", "Group", "Holdings", "Systems", "Labs", "Partners", "& Co.", "S.A.", "K.K.",
  "Industries", "Technologies", "Logistics", "Health", "Capital", "Foods", "Energy",
];

export const PLACES: ReadonlyArray<readonly [city: string, state: string, country: string, postal: string]> = [
  ["San Francisco", "CA", "United States", "94105"],
  ["New York", "NY", "United States", "10001"],
  ["Austin", "TX", "United States", "73301"],
  ["Chicago", "IL", "United States", "60601"],
  ["Seattle", "WA", "United States", "98101"],
  ["Boston", "MA", "United States", "02108"],
  ["Denver", "CO", "United States", "80202"],
  ["Atlanta", "GA", "United States", "30303"],
  ["Toronto", "ON", "Canada", "M5H 2N2"],
  ["Vancouver", "BC", "Canada", "V6B 1A1"],
  ["London", "England", "United Kingdom", "EC1A 1BB"],
  ["Manchester", "England", "United Kingdom", "M1 1AE"],
  ["Dublin", "Leinster", "Ireland", "D02 XY45"],
  ["Berlin", "Berlin", "Germany", "10115"],
  ["München", "Bayern", "Germany", "80331"],
  ["Paris", "Île-de-France", "France", "75001"],
  ["Lyon", "Auvergne-Rhône-Alpes", "France", "69001"],
  ["Madrid", "Madrid", "Spain", "28001"],
  ["Milano", "Lombardia", "Italy", "20121"],
  ["Amsterdam", "Noord-Holland", "Netherlands", "1012 JS"],
  ["Stockholm", "Stockholm", "Sweden", "111 20"],
  ["København", "Hovedstaden", "Denmark", "1050"],
  ["Warszawa", "Mazowieckie", "Poland", "00-001"],
  ["Tokyo", "Tokyo", "Japan", "100-0001"],
  ["Osaka", "Osaka", "Japan", "530-0001"],
  ["Singapore", "Singapore", "Singapore", "018956"],
  ["Sydney", "NSW", "Australia", "2000"],
  ["São Paulo", "SP", "Brazil", "01000-000"],
  ["Ciudad de México", "CDMX", "Mexico", "06000"],
  ["Lagos", "Lagos", "Nigeria", "100001"],
];

export const STREET_NAMES = [
  "Market St", "Main St", "Broadway", "Elm St", "Oak Ave", "Pine St", "Maple Ave", "Cedar Rd", "Lake Shore Dr",
  "Sunset Blvd", "High St", "King St", "Queen St", "Hauptstraße", "Rue de Rivoli", "Calle Mayor", "Via Roma",
];

export const JOB_TITLES = [
  "CEO", "CFO", "CTO", "VP Sales", "VP Marketing", "Director of Operations", "Head of Procurement", "IT Manager",
  "Account Manager", "Sales Representative", "Marketing Manager", "Software Engineer", "Data Analyst",
  "Purchasing Agent", "Office Manager", "Controller", "Product Manager", "Customer Success Manager",
];

export const DEPARTMENTS = ["Sales", "Marketing", "Finance", "Engineering", "Operations", "Support", "Procurement", "IT", "Legal"];

export const CASE_SUBJECTS = [
  "Cannot log in to the portal", "Invoice amount is incorrect", "Shipment arrived damaged", "Feature request: export to CSV",
  "Integration returns HTTP 500", "Password reset email never arrives", "Need to change billing contact",
  "Device overheats after update", "Question about contract renewal", "Data missing after migration",
  "Slow dashboard performance", "Request for on-site training", "License count does not match", "Generator will not start",
];

export const OPPORTUNITY_PRODUCTS = [
  "Platform Licenses", "Annual Renewal", "Professional Services", "Expansion", "Pilot", "Support Upgrade",
  "Hardware Refresh", "Data Add-on", "Training Package", "Multi-year Agreement",
];

export const NEXT_STEPS = ["Send proposal", "Schedule demo", "Follow up with procurement", "Legal review", "Executive sponsor call", "Security questionnaire"];

export const DESCRIPTIONS = [
  "Key account in the region; prefers quarterly business reviews.",
  "Came in through the partner programme.\nAsked for pricing in EUR.",
  "Long-time customer. Renewal handled by the finance team — contact them directly.",
  "Evaluating competitors; decision expected next quarter.",
  "Requires \"net 60\" payment terms and a signed DPA.",
  "Small team, fast decisions. Loves self-service.",
];
