"""The names of the generated identities (``amparo.demo.identities``): first names from lists
in six languages, last names from those languages' lists followed by a long tail of
syllable-made surnames, drawn with Zipf-like frequencies; housemates' first names kept apart.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

import duckdb
import numpy as np

from amparo.people.records import comparable_name

SIMILAR_NAME = 0.9  # the model's Jaro-Winkler threshold for "similar" names


LANGUAGES = ("es", "pt", "it", "fr", "de", "en")


FIRST_NAMES = {
    "es": "Lucía Mateo Sofía Martín Valentina Hugo Camila Santiago Daniela Diego Isabel Javier "
    "Paula Andrés Tomás Elena Carmen Alejandro Ana Pablo Laura Sergio Marta Jorge Claudia "
    "Adrián Sara Álvaro Irene Raúl Natalia Iván Julia Rubén Andrea Óscar Alba Gonzalo Noelia "
    "Emilio Rocío Ignacio Ximena Joaquín Renata Agustín Florencia Nicolás Guadalupe Rodrigo",
    "pt": "João Beatriz Tiago Inês Rui Mariana Duarte Leonor Gabriel Ana Miguel Matilde Rafael "
    "Carolina Gonçalo Francisca Pedro Lara Bruno Juliana Gustavo Larissa Felipe Letícia "
    "Thiago Vitória Caio Yasmin Vinícius Luana Henrique Bianca Eduardo Manuela Leonardo",
    "it": "Giulia Luca Chiara Matteo Francesca Lorenzo Alessia Davide Sofia Leonardo Aurora "
    "Riccardo Ginevra Tommaso Beatrice Edoardo Martina Federico Greta Gabriele Elisa "
    "Simone Noemi Pietro Arianna Filippo Vittoria Niccolò Camilla Stefano Ilaria",
    "fr": "Camille Louis Léa Gabriel Chloé Arthur Manon Jules Inès Raphaël Zoé Adam Jade "
    "Lucas Louise Hugo Emma Théo Alice Nathan Juliette Maxime Clémence Antoine Margaux "
    "Baptiste Pauline Quentin Océane Romain Anaïs",
    "de": "Lukas Hannah Leon Mia Finn Emilia Jonas Lena Paul Marie Felix Lea Elias Johanna "
    "Maximilian Clara Niklas Greta Moritz Frieda Jan Katharina Tobias Franziska Florian "
    "Jana Sebastian Anja Matthias Sabine",
    "en": "Oliver Amelia George Isla Harry Ava Jack Freya Charlie Poppy Oscar Ivy Alfie Rosie "
    "Thomas Grace Jacob Evie Noah Millie William Ella James Lily Joshua Chloe Daniel Holly "
    "Samuel Megan",
}


LAST_NAMES = {
    "es": "García Fernández López Martínez Romero Navarro Torres Ramírez Castro Vargas Herrera "
    "Morales Ortega Delgado Rojas Medina Sánchez Pérez Gómez Díaz Jiménez Ruiz Hernández "
    "Álvarez Moreno Muñoz Alonso Gutiérrez Domínguez Vázquez Ramos Gil Serrano Blanco Molina "
    "Suárez Castillo Ortiz Rubio Marín Sanz Iglesias Núñez Garrido Cortés Flores Aguilar",
    "pt": "Silva Santos Ferreira Pereira Oliveira Costa Martins Sousa Rodrigues Almeida Lima "
    "Carvalho Gomes Ribeiro Lopes Barbosa Araújo Fernandes Rocha Dias Monteiro Cardoso "
    "Teixeira Correia Mendes Nunes Soares Vieira Moreira Cavalcanti Nascimento Freitas",
    "it": "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno "
    "Gallo Conti DeLuca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana "
    "Santoro Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile",
    "fr": "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon "
    "Laurent Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard "
    "André Lefèvre Mercier Dupont Lambert Bonnet François Martinez",
    "de": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann "
    "Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun "
    "Krüger Hofmann Hartmann Lange Schmitt Werner Krause Meier Lehmann",
    "en": "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts "
    "Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke "
    "Patel Jackson Wood Turner Martin Cooper Hill Ward Morris",
}


SURNAME_SYLLABLES = {
    "es": ("Bar Cal Mon Val Ser Gal Ri Pa Al Cas Ver Lo Ma Sal Can Oli Fon Mir Qui Tor",
           "ga ve le ri do ca na lla mo te ce",
           "ez ero illa ón ado al ejo ino ares uela"),
    "pt": ("Bra Fon Cor Mou Ta Vas Pin Quei Ser Gui Lou Ma Ben Cam Ro Pe Fa Sa Mel Ar",
           "ra ta ve li do nha lho ce sa",
           "es eira inho ão ral ares oso ela im uca"),
    "it": ("Bel Cap Fer Gal Mar Pel Ros Sal Tor Vit Cas Bon Lan Ber Pag Del Cor Fio Ric Sca",
           "la ne ri to ca mo de gi le",
           "ini etti one ucci elli ato ese ari azzi otti"),
    "fr": ("Bel Char Dau Fon Gau Lam Mar Per Rou Val Cha Ber Mon Lef Gir Bou Cor Dur Lan Mor",
           "ri che lo ta de vi",
           "ier eau ot in and et ard ault on ois"),
    "de": ("Bach Berg Brand Eich Feld Grun Hahn Kirch Lind Stein Wald Ross Hof Mehl Dorn",
           "en er el",
           "mann er hardt berg feld stein meier bauer ling haus"),
    "en": ("Ash Brad Cald Fair Hart Kings Mar Nor Red Stan Wes Whit Black Brook Cran Holm",
           "ing ley ton ford",
           "worth field well by ham wick more land ridge son"),
}  # fmt: skip


@dataclass(frozen=True)
class NamePools:
    first: list[str]  # as written
    last: list[str]
    first_ranges: list[tuple[int, int]]  # per language: [start, end) in ``first``
    last_ranges: list[tuple[int, int]]
    first_similar: frozenset[tuple[int, int]]  # first names a comparison calls similar


@cache
def name_pools() -> NamePools:
    first: list[str] = []
    last: list[str] = []
    first_ranges: list[tuple[int, int]] = []
    last_ranges: list[tuple[int, int]] = []
    for language in LANGUAGES:
        given = FIRST_NAMES[language].split()
        first_ranges.append((len(first), len(first) + len(given)))
        first += given
        family = _unique(LAST_NAMES[language].split() + _syllable_surnames(language))
        last_ranges.append((len(last), len(last) + len(family)))
        last += family
    return NamePools(first, last, first_ranges, last_ranges, _similar_pairs(first))


def _syllable_surnames(language: str) -> list[str]:
    """Every surname the language's syllables make, in an order fixed by a seeded shuffle."""
    starts, middles, ends = (part.split() for part in SURNAME_SYLLABLES[language])
    made = [s + e for s in starts for e in ends]
    made += [s + m + e for s in starts for m in middles for e in ends]
    order = np.random.default_rng(len(made)).permutation(len(made))
    return [made[i] for i in order]


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _similar_pairs(names: list[str]) -> frozenset[tuple[int, int]]:
    """Pairs of first names (by position) the model's Jaro-Winkler comparison takes as alike."""
    folded = [comparable_name(name) for name in names]
    connection = duckdb.connect()
    try:
        connection.execute("create table names (i integer, n varchar)")
        connection.executemany("insert into names values (?, ?)", list(enumerate(folded)))
        rows = connection.execute(
            "select a.i, b.i from names a join names b on a.i <> b.i "
            "and jaro_winkler_similarity(a.n, b.n) >= ?",
            [SIMILAR_NAME],
        ).fetchall()
    finally:
        connection.close()
    return frozenset((a, b) for a, b in rows)


def draw_by_language(
    rng: np.random.Generator, language: np.ndarray, ranges: list[tuple[int, int]]
) -> np.ndarray:
    """A name per person from its language's range, the first names of a range the commonest."""
    drawn = np.empty(len(language), dtype=np.int64)
    for number, (start, end) in enumerate(ranges):
        who = np.flatnonzero(language == number)
        drawn[who] = start + rng.choice(end - start, len(who), p=_zipf(end - start))
    return drawn


def _zipf(size: int) -> np.ndarray:
    """Name frequencies falling as 1/(rank + offset), flatter at the head than a pure Zipf."""
    weights = 1 / (np.arange(size) + 1 + size**0.5 / 2)
    return weights / weights.sum()


def distinct_first_names(
    rng: np.random.Generator,
    first: np.ndarray,
    household: tuple[int, ...],
    language: np.ndarray,
    names: NamePools,
) -> None:
    """Redraw housemates' first names until no two are the same or alike."""
    taken: list[int] = []
    for person in household:
        start, end = names.first_ranges[language[person]]
        candidate = int(first[person])
        while any(candidate == t or (candidate, t) in names.first_similar for t in taken):
            candidate = int(rng.integers(start, end))
        first[person] = candidate
        taken.append(candidate)


def ascii_name(text: str) -> str:
    """A name as handles and e-mail addresses write it: lower-case ASCII letters and digits."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in plain if c.isalnum())


def swap_two_letters(name: str) -> str:
    """The name with its two middle letters swapped: a typist's slip."""
    if len(name) < 4:
        return name
    middle = len(name) // 2
    return name[: middle - 1] + name[middle] + name[middle - 1] + name[middle + 1 :]
