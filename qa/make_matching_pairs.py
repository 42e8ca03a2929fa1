"""Builds matching_pairs.csv, the labelled evaluation set for duplicate matching.

Run: ``python -m qa.make_matching_pairs`` (deterministic; rewrites
``tests/data/matching_pairs.csv``, the set ``python -m qa.eval_matching`` reads by default).

Every pair is two spellings of a person as staff might meet them in PMO or
Reservnummersystemet, with the truth: ``same`` (one person) or ``different`` (two people born
the same day). The lists below are hand-made: which spellings are one name (transliterations
from Arabic, Somali, Tigrinya, Dari/Pashto, Ukrainian, Russian, Polish, Romanian, Turkish,
typos, swapped or merged names) and which are different names however alike they look
(siblings, twins with rhyming names, Hassan/Hussein, Daniel/Daniela, ...). Names are common
names, combined at random; no pair describes a real person.

About a third of the "same" spellings are deliberately NOT in config/matching.toml's variant
table, so the set also measures the general spelling rules rather than only the table.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "matching_pairs.csv"
rng = random.Random(20261127)

FAMILIES = [
    "Hassan",
    "Mohamed",
    "Ali",
    "Abdi",
    "Warsame",
    "Farah",
    "Osman",
    "Jama",
    "Haile",
    "Tesfamariam",
    "Gebremedhin",
    "Kidane",
    "Tekle",
    "Ahmadi",
    "Rahimi",
    "Karimi",
    "Hosseini",
    "Noori",
    "Sultani",
    "Kovalenko",
    "Shevchenko",
    "Bondarenko",
    "Tkachenko",
    "Melnyk",
    "Ivanov",
    "Smirnov",
    "Kuznetsov",
    "Nowak",
    "Kowalczyk",
    "Wiśniewski",
    "Wójcik",
    "Popescu",
    "Ionescu",
    "Popa",
    "Dumitru",
    "Yilmaz",
    "Kaya",
    "Demir",
    "Al-Khatib",
    "Haddad",
    "Nasser",
    "Khalil",
    "Ibrahim",
    "Saleh",
    "Mansour",
    "Andersson",
    "Nilsson",
]
SEX_MALE_GIVEN = [
    "Ahmad",
    "Mohammed",
    "Omar",
    "Yusuf",
    "Ibrahim",
    "Hassan",
    "Hussein",
    "Abdi",
    "Mustafa",
    "Khalid",
    "Bilal",
    "Tesfay",
    "Yohannes",
    "Dawit",
    "Oleksandr",
    "Dmytro",
    "Serhii",
    "Andrii",
    "Piotr",
    "Tomasz",
    "Ionuț",
    "Ștefan",
    "Mehmet",
    "Emre",
    "Zabihullah",
    "Jawad",
    "Karim",
    "Samir",
    "Rami",
    "Fadi",
    "Amir",
    "Walid",
]
SEX_FEMALE_GIVEN = [
    "Fatima",
    "Aisha",
    "Khadija",
    "Maryam",
    "Zainab",
    "Amina",
    "Halima",
    "Hodan",
    "Sahra",
    "Olena",
    "Iryna",
    "Tetiana",
    "Nataliia",
    "Kateryna",
    "Anna",
    "Agnieszka",
    "Ioana",
    "Elif",
    "Leila",
    "Nour",
    "Rania",
    "Samira",
    "Yasmin",
    "Selam",
    "Mebrat",
    "Lina",
    "Sara",
]

rows: list[dict[str, str]] = []


def add(a: tuple[str, str, str], b: tuple[str, str, str], label: str, note: str) -> None:
    rows.append(
        {
            "family_a": a[0],
            "given_a": a[1],
            "sex_a": a[2],
            "family_b": b[0],
            "given_b": b[1],
            "sex_b": b[2],
            "label": label,
            "note": note,
        }
    )


def fam() -> str:
    return rng.choice(FAMILIES)


def maybe_unknown(sex: str) -> str:
    """RNS shows no sex: about a third of the b sides have none."""
    return "" if rng.random() < 0.35 else sex


# --- SAME: one person, two spellings -------------------------------------------------------

# Given-name spellings of one name (sex, spelling a, spelling b).
GIVEN_VARIANTS = [
    ("M", "Mohammed", "Muhammad"),
    ("M", "Mohamed", "Mohammad"),
    ("M", "Muhammed", "Mohamad"),
    ("M", "Maxamed", "Mohamed"),
    ("M", "Abdi", "Abdy"),
    ("M", "Yusuf", "Youssef"),
    ("M", "Yousef", "Yusif"),
    ("M", "Ahmad", "Ahmed"),
    ("M", "Ahmet", "Ahmad"),
    ("M", "Hussein", "Husein"),
    ("M", "Hussain", "Hossein"),
    ("M", "Tesfay", "Tesfaye"),
    ("M", "Oleksandr", "Aleksandr"),
    ("M", "Oleksandr", "Alexander"),
    ("M", "Sergiy", "Sergei"),
    ("M", "Serhii", "Sergey"),
    ("M", "Dmytro", "Dmitri"),
    ("M", "Andriy", "Andrei"),
    ("M", "Mykola", "Nikolai"),
    ("M", "Volodymyr", "Vladimir"),
    ("M", "Oleh", "Oleg"),
    ("M", "Mykhailo", "Mikhail"),
    ("M", "Yevhen", "Evgeny"),
    ("M", "Omar", "Umar"),
    ("M", "Osman", "Othman"),
    ("M", "Mustafa", "Mostafa"),
    ("M", "Khalid", "Khaled"),
    ("M", "Ibrahim", "Ebrahim"),
    ("M", "Ismail", "Esmail"),
    ("M", "Suleiman", "Sulaiman"),
    ("M", "Idris", "Edris"),
    ("M", "Bilal", "Belal"),
    ("M", "Jawad", "Javad"),
    ("M", "Yohannes", "Yohanes"),
    ("M", "Tsegay", "Tsegaye"),
    ("M", "Wojciech", "Wojciech"),
    ("M", "Ștefan", "Stefan"),
    ("M", "Ionuț", "Ionut"),
    ("M", "Abdulrahman", "Abdirahman"),
    ("M", "Abdullahi", "Abdallah"),
    ("M", "Zabihullah", "Zabiullah"),
    # Not in the variant table: the general spelling rules must carry these.
    ("M", "Tarek", "Tarik"),
    ("M", "Salim", "Selim"),
    ("M", "Hamid", "Hamed"),
    ("M", "Rashed", "Rachid"),
    ("M", "Nasser", "Naser"),
    ("M", "Ayman", "Aiman"),
    ("M", "Hamza", "Hamsa"),
    ("M", "Ashraf", "Ashrof"),
    ("M", "Anwar", "Anouar"),
    ("M", "Kamal", "Kemal"),
    ("M", "Fawad", "Fawaad"),
    ("M", "Shafiq", "Shafik"),
    ("M", "Habibullah", "Habiboullah"),
    ("M", "Mahdi", "Mehdi"),
    ("M", "Ghulam", "Gholam"),
    ("M", "Mukhtar", "Muktar"),
    ("M", "Tomasz", "Tomacz"),
    ("M", "Grzegorz", "Grzegorz"),
    ("M", "Vasyl", "Vasil"),
    ("M", "Taras", "Tarass"),
    ("M", "Bogdan", "Bohdan"),
    ("M", "Christoph", "Kristof"),
    ("M", "Mehmet", "Mehmed"),
    ("K", "Olena", "Elena"),
    ("K", "Olena", "Yelena"),
    ("K", "Fatima", "Fatuma"),
    ("K", "Fadumo", "Fatima"),
    ("K", "Aisha", "Ayesha"),
    ("K", "Khadija", "Hadija"),
    ("K", "Maryam", "Mariam"),
    ("K", "Zainab", "Zeinab"),
    ("K", "Yasmin", "Yasmine"),
    ("K", "Tetiana", "Tatiana"),
    ("K", "Nataliia", "Natalia"),
    ("K", "Kateryna", "Ekaterina"),
    ("K", "Iryna", "Irina"),
    ("K", "Halyna", "Galina"),
    ("K", "Yuliia", "Yulia"),
    ("K", "Anastasiia", "Anastasia"),
    ("K", "Viktoriia", "Victoria"),
    ("K", "Svitlana", "Svetlana"),
    ("K", "Oksana", "Oxana"),
    ("K", "Halima", "Halimo"),
    ("K", "Amina", "Aamina"),
    # Not in the variant table.
    ("K", "Sarah", "Sara"),
    ("K", "Leila", "Leyla"),
    ("K", "Nour", "Noor"),
    ("K", "Rukia", "Ruqia"),
    ("K", "Hawa", "Hawwa"),
    ("K", "Safiya", "Safia"),
    ("K", "Hodan", "Hoodan"),
    ("K", "Sahra", "Sahrah"),
    ("K", "Ruqayyah", "Ruqaya"),
    ("K", "Agnieszka", "Agnieszka"),
    ("K", "Małgorzata", "Malgorzata"),
    ("K", "Ioana", "Ioanna"),
    ("K", "Mebrat", "Mebrath"),
    ("K", "Selamawit", "Selamawet"),
    ("K", "Nigist", "Nigest"),
    ("K", "Shukri", "Shoukri"),
    ("K", "Farhiya", "Farhia"),
    ("K", "Ludmila", "Ljudmila"),
]
for sex, ga, gb in GIVEN_VARIANTS:
    f = fam()
    add((f, ga, sex), (f, gb, maybe_unknown(sex)), "same", "given name transliteration")

# Family-name spellings of one name.
FAMILY_VARIANTS = [
    ("Shevchenko", "Ševčenko"),
    ("Kovalenko", "Kowalenko"),
    ("Tkachenko", "Tkatchenko"),
    ("Melnyk", "Melnik"),
    ("Kuznetsov", "Kuznetsow"),
    ("Wiśniewski", "Wisniewski"),
    ("Wójcik", "Wojcik"),
    ("Kowalczyk", "Kowalczyk"),
    ("Al-Khatib", "Al Khatib"),
    ("Al-Khatib", "Alkhatib"),
    ("Abdulkadir", "Abdikadir"),
    ("Mohamud", "Maxamuud"),
    ("Hosseini", "Husseini"),
    ("Ahmadi", "Ahmady"),
    ("Rahimi", "Rahimy"),
    ("Tesfamariam", "Tesfamaryam"),
    ("Gebremedhin", "Gebremedhn"),
    ("Haddad", "Hadad"),
    ("Khalil", "Chalil"),
    ("Yilmaz", "Yılmaz"),
    ("Popescu", "Popesku"),
    ("Dumitru", "Dumitrou"),
    ("Ionescu", "Ionesco"),
    ("Ibrahim", "Ebrahim"),
    ("Nasser", "Naser"),
    ("Mansour", "Mansur"),
    ("Saleh", "Salih"),
]
for fa, fb in FAMILY_VARIANTS:
    sex = rng.choice("MK")
    given = rng.choice(SEX_MALE_GIVEN if sex == "M" else SEX_FEMALE_GIVEN)
    add((fa, given, sex), (fb, given, maybe_unknown(sex)), "same", "family name spelling")

# Case, accents, hyphens, apostrophes and spacing only.
FORMATTING = [
    (("Wójcik", "Agnieszka"), ("WOJCIK", "agnieszka")),
    (("Al-Hassan", "Omar"), ("al hassan", "OMAR")),
    (("O'Brien", "Siobhan"), ("OBrien", "Siobhan")),
    (("Ștefănescu", "Ionuț"), ("Stefanescu", "Ionut")),
    (("Öztürk", "Ayşe"), ("Ozturk", "Ayse")),
    (("Müller", "Jürgen"), ("Mueller", "Juergen")),
    (("Ben Ali", "Ahmed"), ("Ben-Ali", "Ahmed")),
    (("Abdi  Warsame", "Sahra"), ("Abdi-Warsame", "Sahra")),
    (("Nguyễn", "Thị Lan"), ("Nguyen", "Thi Lan")),
    (("Ma'ruf", "Ali"), ("Maruf", "Ali")),
    (("Łukasiewicz", "Paweł"), ("Lukasiewicz", "Pawel")),
    (("Gül", "Şükrü"), ("Gul", "Sukru")),
    (("Søndergaard", "Mette"), ("Sondergaard", "Mette")),
    (("Dăscălu", "Mădălina"), ("Dascalu", "Madalina")),
    (("Hernández", "José"), ("Hernandez", "Jose")),
]
for (fa, ga), (fb, gb) in FORMATTING:
    sex = rng.choice("MK")
    add((fa, ga, sex), (fb, gb, maybe_unknown(sex)), "same", "case, accents, hyphens")

# Typos a clerk makes in a long word.
TYPOS = [
    ("Andersson", "Mohammed", "Andresson", "Mohammed"),
    ("Gebremedhin", "Tesfay", "Gebremehdin", "Tesfay"),
    ("Tesfamariam", "Selam", "Tesfamarian", "Selam"),
    ("Abdullahi", "Abdirahman", "Abdulahi", "Abdirahman"),
    ("Bondarenko", "Oleksandr", "Bondarenko", "Oleksnadr"),
    ("Kowalczyk", "Małgorzata", "Kowalcyzk", "Małgorzata"),
    ("Hassan", "Mohammed", "Hassan", "Mohhammed"),
    ("Nilsson", "Christina", "Nilson", "Christina"),
    ("Wiśniewski", "Krzysztof", "Wisniewski", "Krzystof"),
    ("Shevchenko", "Kateryna", "Shevchneko", "Kateryna"),
    ("Hosseini", "Zabihullah", "Hoseini", "Zabihullah"),
    ("Tkachenko", "Anastasiia", "Tkachenko", "Anastasia"),
    ("Sultani", "Habibullah", "Sultani", "Habibulah"),
    ("Warsame", "Abdulkadir", "Warsame", "Abdulkadr"),
    ("Kuznetsov", "Svetlana", "Kusnetsov", "Svetlana"),
    ("Popescu", "Alexandru", "Popescu", "Alexandr"),
    ("Mansour", "Mahmoud", "Mansour", "Mahmod"),
    ("Farah", "Abdullahi", "Farah", "Abdullah"),
    ("Tesfamariam", "Yohannes", "Tesfamariam", "Yohannnes"),
    ("Gebremedhin", "Kidane", "Gebremedin", "Kidane"),
]
for fa, ga, fb, gb in TYPOS:
    sex = (
        "K"
        if ga in ("Selam", "Małgorzata", "Christina", "Kateryna", "Anastasiia", "Svetlana")
        else "M"
    )
    add((fa, ga, sex), (fb, gb, maybe_unknown(sex)), "same", "typo")

# Family and given name swapped (a common mistake with Arabic, Somali, Tigrinya names).
for _ in range(20):
    sex = rng.choice("MK")
    given = rng.choice(SEX_MALE_GIVEN if sex == "M" else SEX_FEMALE_GIVEN)
    family = fam()
    if given == family:
        continue
    add((family, given, sex), (given, family, maybe_unknown(sex)), "same", "swapped order")

# Several given names against one of them.
SEVERAL = [
    ("Anna Maria", "Anna"),
    ("Mohammed Ali", "Mohammed"),
    ("Abdi Mohamed", "Abdi"),
    ("Oleksandr Petrovych", "Oleksandr"),
    ("Fatima Zahra", "Fatima"),
    ("Ionuț Alexandru", "Ionuț"),
    ("Ahmad Shah", "Ahmad"),
    ("Maria Magdalena", "Maria"),
    ("Nur Hussein", "Nur"),
    ("Tesfay Gebre", "Tesfay"),
    ("Sahra Abdi", "Sahra"),
    ("Kateryna Ivanivna", "Kateryna"),
    ("Jan Piotr", "Jan"),
    ("Muhammad Yusuf", "Mohammed Yousef"),
    ("Ayşe Nur", "Ayse"),
]
for ga, gb in SEVERAL:
    f = fam()
    sex = (
        "K"
        if ga.split()[0] in ("Anna", "Fatima", "Maria", "Sahra", "Kateryna", "Ayşe", "Nur")
        else "M"
    )
    add((f, ga, sex), (f, gb, maybe_unknown(sex)), "same", "several given names")

# Merged or split names.
MERGED = [
    (("Hassan", "Abdul Rahman"), ("Hassan", "Abdulrahman")),
    (("Ali", "Abdul Kadir"), ("Ali", "Abdulkadir")),
    (("Al Khatib", "Omar"), ("Alkhatib", "Omar")),
    (("El Amin", "Ahmed"), ("Elamin", "Ahmed")),
    (("Noori", "Anna-Lena"), ("Noori", "Annalena")),
    (("Abu Bakr", "Yusuf"), ("Abubakr", "Yusuf")),
    (("Warsame", "Abdi Aziz"), ("Warsame", "Abdiaziz")),
    (("Mohamed", "Nur Din"), ("Mohamed", "Nurdin")),
    (("Sultani", "Gul Ahmad"), ("Sultani", "Gulahmad")),
    (("Abd El Aziz", "Mona"), ("Abdelaziz", "Mona")),
    (("Haile", "Gebre Selassie"), ("Haile", "Gebreselassie")),
    (("Ould Ahmed", "Sidi"), ("Ouldahmed", "Sidi")),
]
for (fa, ga), (fb, gb) in MERGED:
    sex = "K" if ga in ("Anna-Lena", "Mona") else "M"
    add((fa, ga, sex), (fb, gb, maybe_unknown(sex)), "same", "merged or split name")

# The same words split differently between family and given names (father's name moved).
SPLIT = [
    (("Hassan", "Abdi Mohamed"), ("Mohamed Hassan", "Abdi")),
    (("Farah", "Sahra Abdi"), ("Abdi Farah", "Sahra")),
    (("Osman", "Ali Jama"), ("Jama Osman", "Ali")),
    (("Tekle", "Yohannes Haile"), ("Haile Tekle", "Yohannes")),
    (("Ahmadi", "Mohammad Nabi"), ("Nabi Ahmadi", "Mohammad")),
    (("Warsame", "Hodan Ali"), ("Ali Warsame", "Hodan")),
    (("Gebremedhin", "Selam Tesfay"), ("Tesfay Gebremedhin", "Selam")),
    (("Jama", "Faisal Omar"), ("Omar Jama", "Faisal")),
]
for (fa, ga), (fb, gb) in SPLIT:
    sex = "K" if ga.split()[0] in ("Sahra", "Hodan", "Selam") else "M"
    add((fa, ga, sex), (fb, gb, maybe_unknown(sex)), "same", "different split of the same words")

# The same person with a dropped father's name: a person should look (uncertain is right).
for (fa, ga), (fb, gb) in [
    (("Hassan", "Abdi Mohamed"), ("Mohamed", "Abdi")),
    (("Farah", "Sahra Abdi"), ("Abdi", "Sahra")),
    (("Tekle", "Yohannes Haile"), ("Haile", "Yohannes")),
    (("Osman", "Ali Jama"), ("Jama", "Ali")),
]:
    sex = "K" if ga.startswith("Sahra") else "M"
    add((fa, ga, sex), (fb, gb, maybe_unknown(sex)), "same", "father's name dropped")

# Identical names, once with the wrong sex entered (a person must look).
for family, given, sex in [
    ("Nilsson", "Kim", "M"),
    ("Haile", "Selam", "K"),
    ("Ahmadi", "Nur", "K"),
]:
    add(
        (family, given, sex),
        (family, given, "K" if sex == "M" else "M"),
        "same",
        "same name, sex entered wrongly",
    )

# --- DIFFERENT: two people born the same day -----------------------------------------------

# Siblings (twins): same family name, different given names, same sex or unknown.
for _ in range(40):
    sex = rng.choice("MK")
    pool = SEX_MALE_GIVEN if sex == "M" else SEX_FEMALE_GIVEN
    ga, gb = rng.sample(pool, 2)
    f = fam()
    add((f, ga, sex), (f, gb, maybe_unknown(sex)), "different", "siblings")

# Twins with names chosen to go together, or that look alike.
TWINS = [
    ("M", "Hasan", "Hüseyin"),
    ("M", "Hassan", "Hussein"),
    ("M", "Hasan", "Husein"),
    ("K", "Lina", "Dina"),
    ("K", "Lena", "Lina"),
    ("M", "Amir", "Amin"),
    ("M", "Jamal", "Kamal"),
    ("M", "Fadi", "Hadi"),
    ("M", "Rami", "Sami"),
    ("K", "Amina", "Amira"),
    ("K", "Samira", "Samina"),
    ("K", "Maria", "Mariam"),
    ("K", "Anna", "Hanna"),
    ("K", "Marina", "Martina"),
    ("K", "Sabina", "Sabrina"),
    ("M", "Adam", "Adan"),
    ("", "Ali", "Alia"),
    ("", "Jan", "Jana"),
    ("", "Daniel", "Daniela"),
    ("", "Oleksandr", "Oleksandra"),
    ("", "Yevhen", "Yevheniia"),
    ("", "Karim", "Karima"),
    ("", "Samir", "Samira"),
    ("", "Nabil", "Nabila"),
    ("", "Ivan", "Ivana"),
    ("M", "Ahmed", "Hamid"),
    ("M", "Mohamed", "Mahmoud"),
    ("M", "Omar", "Amar"),
    ("K", "Hana", "Dana"),
    ("K", "Rana", "Rania"),
    ("M", "Said", "Sayed"),
    ("M", "Yusuf", "Yunus"),
    ("M", "Idris", "Ilyas"),
    ("K", "Fatima", "Fatiha"),
    ("K", "Hodan", "Hoda"),
    ("M", "Piotr", "Paweł"),
    ("K", "Ioana", "Ileana"),
    ("M", "Taras", "Tarik"),
    ("M", "Dawit", "Daniel"),
    ("K", "Elif", "Eylül"),
    ("M", "Emre", "Emir"),
]
for sex, ga, gb in TWINS:
    f = fam()
    add((f, ga, sex), (f, gb, sex), "different", "twins, names alike")

# Same common given name, different family (many are registered on 1 January).
for _ in range(30):
    sex = rng.choice("MK")
    given = rng.choice(SEX_MALE_GIVEN if sex == "M" else SEX_FEMALE_GIVEN)
    fa, fb = rng.sample(FAMILIES, 2)
    add((fa, given, sex), (fb, given, maybe_unknown(sex)), "different", "common given name")

# Brothers or cousins sharing first and family name, differing in a second given name.
for ga, gb in [
    ("Mohammed Ali", "Mohammed Omar"),
    ("Abdi Hassan", "Abdi Yusuf"),
    ("Ahmad Shah", "Ahmad Zia"),
    ("Anna Maria", "Anna Sofia"),
    ("Fatima Zahra", "Fatima Amina"),
    ("Gul Ahmad", "Gul Agha"),
    ("Mohammad Nabi", "Mohammad Nasir"),
    ("Maria Elena", "Maria Ioana"),
    ("Muhammad Yusuf", "Muhammad Idris"),
    ("Sahra Abdi", "Sahra Omar"),
]:
    f = fam()
    sex = "K" if ga.split()[0] in ("Anna", "Fatima", "Maria", "Sahra") else "M"
    add((f, ga, sex), (f, gb, maybe_unknown(sex)), "different", "second given name differs")

# Opposite sex with the same or a matching name (both known).
for _ in range(12):
    f = fam()
    add(
        (f, rng.choice(SEX_MALE_GIVEN), "M"),
        (f, rng.choice(SEX_FEMALE_GIVEN), "K"),
        "different",
        "brother and sister",
    )
for family, given in [
    ("Andersson", "Kim"),
    ("Haile", "Nur"),
    ("Mohamed", "Iman"),
    ("Kaya", "Deniz"),
    ("Popa", "Alex"),
]:
    add((family, given, "M"), (family, given, "K"), "different", "same unisex name, different sex")
for fa, ga, fb, gb in [
    ("Ivanov", "Ivan", "Ivanova", "Ivana"),
    ("Kowalski", "Jan", "Kowalska", "Jana"),
    ("Smirnov", "Yevhen", "Smirnova", "Yevheniia"),
    ("Wiśniewski", "Paweł", "Wiśniewska", "Paulina"),
]:
    add((fa, ga, "M"), (fb, gb, "K"), "different", "brother and sister, gendered surnames")

# Unrelated people.
for _ in range(20):
    sa, sb = rng.choice("MK"), rng.choice("MK")
    ga = rng.choice(SEX_MALE_GIVEN if sa == "M" else SEX_FEMALE_GIVEN)
    gb = rng.choice(SEX_MALE_GIVEN if sb == "M" else SEX_FEMALE_GIVEN)
    fa, fb = rng.sample(FAMILIES, 2)
    if ga == gb:
        continue
    add((fa, ga, sa), (fb, gb, maybe_unknown(sb)), "different", "unrelated")

# Same family and given names swapped between two different people? Not plausible; instead:
# a given name that is someone else's family name.
for ga, fa, gb, fb in [
    ("Ali", "Hassan", "Hassan", "Omar"),
    ("Abdi", "Farah", "Farah", "Jama"),
    ("Ibrahim", "Saleh", "Saleh", "Mansour"),
    ("Osman", "Ali", "Ali", "Warsame"),
]:
    add((fa, ga, "M"), (fb, gb, maybe_unknown("M")), "different", "shared word, other person")


def main() -> None:
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} pairs -> {OUT}")


if __name__ == "__main__":
    main()
