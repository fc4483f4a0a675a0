"""Invented name parts for the synthetic clinic. Combinations are random: no real person's record.

Accents, apostrophes and hyphens are deliberate, so that search and sorting meet them early.
"""

from __future__ import annotations

GIVEN_FEMALE = [
    "Amelia", "Ana", "Aisha", "Beatriz", "Chloé", "Dana", "Elena", "Emily", "Fatima", "Grace",
    "Hannah", "Ingrid", "Isabel", "Jasmine", "Julia", "Kateřina", "Laura", "Léa", "Lucía",
    "Maya", "Mei", "Nadia", "Noor", "Olivia", "Priya", "Rachel", "Renée", "Sara", "Siobhán",
    "Sofia", "Tamar", "Valentina", "Yara", "Zoë", "Ngozi", "Hoa", "Marisol", "Keiko",
]
GIVEN_MALE = [
    "Aarav", "Adam", "Ahmed", "Andrés", "Ben", "Carlos", "Chidi", "Daniel", "David", "Diego",
    "Élie", "Ethan", "Felipe", "François", "Hiroshi", "Ibrahim", "Jamal", "James", "Jonah",
    "José", "Kwame", "Liam", "Luca", "Marcus", "Mateo", "Michael", "Minh", "Noah", "Omar",
    "Paulo", "Raj", "Samuel", "Søren", "Thomas", "Tomás", "Wei", "Yusuf", "Zoltán",
]
GIVEN_NEUTRAL = ["Alex", "Avery", "Jordan", "Kai", "Morgan", "Quinn", "Riley", "Robin", "Sam"]
FAMILY = [
    "Abebe", "Adeyemi", "Álvarez", "Andersen", "Bauer", "Bianchi", "Brown", "Chen", "Cohen",
    "Da Silva", "Dubois", "Dvořák", "Eriksson", "Fernández", "Fischer", "García", "Gómez",
    "Gupta", "Haddad", "Hernández", "Ito", "Jackson", "Johnson", "Kim", "Kowalski", "Kumar",
    "Larsen", "Lee", "López", "MacDonald", "Martin", "Martínez", "Mensah", "Moreau", "Müller",
    "Nakamura", "Nguyễn", "Novák", "O'Brien", "O'Connor", "Okafor", "Ortiz", "Patel", "Pérez",
    "Petrov", "Popescu", "Ramírez", "Rossi", "Sánchez", "Schmidt", "Singh", "Smith", "Sørensen",
    "Suzuki", "Tanaka", "Taylor", "Thompson", "Tran", "Van der Berg", "Walker", "Wang",
    "Williams", "Wiśniewski", "Yamamoto", "Young", "Zhang", "Ziegler", "Ben-David", "Smith-Jones",
]
