//! Names for demo people. Given names are ordinary (a given name alone identifies nobody); every
//! family name is plainly invented ("Example", "Przykładowski", "Enghraifft", "الفلاني", "示例"),
//! so a demo record can never be mistaken for a real young person. Some names carry accents,
//! Welsh, Polish and Irish spellings, or Arabic and Chinese script, to exercise search and layout.

/// Workers: invented given names and family names that say "not a real person".
pub const WORKER_GIVEN: &[&str] = &[
    "Ada", "Bea", "Cal", "Dee", "Eli", "Fen", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lou", "Max",
    "Nell", "Oz", "Pip", "Quin", "Roz", "Sol", "Tam", "Uma", "Val", "Wyn", "Xan", "Yas", "Zed",
];
pub const WORKER_FAMILY: &[&str] = &[
    "Demoworker",
    "Testwell",
    "Placeholder",
    "Samplecase",
    "Mockford",
    "Fictionby",
    "Exampleton",
    "Notreal",
    "Madeupson",
    "Pretendley",
    "Dummington",
    "Synthwick",
    "Fauxley",
    "Imaginary",
    "Specimen",
    "Prototype",
];

pub const GIVEN_MALE: &[&str] = &[
    "Oliver", "Harry", "Jack", "Noah", "Leo", "Alfie", "Tyler", "Kai", "Callum", "Reece", "Jayden",
    "Ethan", "Mason", "Dylan", "Mohammed", "Yusuf", "Omar", "Aarav", "Ravi", "Kwame", "Dafydd",
    "Rhys", "Gethin", "Iwan", "Łukasz", "Kacper", "Jakub", "Szymon", "José", "André", "Seán",
    "Oisín", "Tomás", "Zoltán", "Jérôme", "Nikolaj",
];
pub const GIVEN_FEMALE: &[&str] = &[
    "Amelia",
    "Olivia",
    "Isla",
    "Ava",
    "Mia",
    "Ruby",
    "Chloe",
    "Jade",
    "Leah",
    "Fatima",
    "Aisha",
    "Priya",
    "Precious",
    "Ama",
    "Zoë",
    "Chloé",
    "Esmé",
    "Renée",
    "Siân",
    "Rhiannon",
    "Carys",
    "Ffion",
    "Gwenllian",
    "Zofia",
    "Małgorzata",
    "Wiktoria",
    "Agnieszka",
    "Aoife",
    "Niamh",
    "Saoirse",
    "Noémie",
    "Inês",
];
pub const GIVEN_NEUTRAL: &[&str] = &[
    "Alex", "Sam", "Jordan", "Charlie", "Riley", "Jamie", "Morgan", "Rowan", "Ash", "Robin", "Eli",
    "Sky",
];

pub const FAMILY: &[&str] = &[
    "Example",
    "Sample",
    "Placeholder",
    "Testcase",
    "Demoson",
    "Fictional",
    "Madeup",
    "Mockridge",
    "Notreal",
    "Specimen",
    "Synthwood",
    "Fauxbury",
    "Pretendergast",
    "Imaginary",
    "Exampleton",
    "Samplewood",
    "O'Placeholder",
    "Dummy-Jones",
    "Przykładowski",
    "Fikcyjna",
    "Enghraifft",
    "ap Ffug",
    "Ó Samplaigh",
    "Mustermann",
    "Müsterfrau",
    "Exemplo",
    "Ficticio",
    "Exemplé",
];

/// Whole names in other scripts, used together: the placeholder names of each language
/// (Arabic "so-and-so", Chinese "Xiaoming/Xiaohong Example").
pub const SCRIPT_NAMES_MALE: &[(&str, &str)] = &[("فلان", "الفلاني"), ("小明", "示例")];
pub const SCRIPT_NAMES_FEMALE: &[(&str, &str)] = &[("فلانة", "الفلانية"), ("小红", "示例")];
