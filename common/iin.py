"""IIN and BIN: the Government of Kazakhstan's format (decree No. 565 of 11 June 2003): twelve
digits, the last a check digit computed mod 11 with weights 1..11, and when that gives 10 a second
pass with weights 3..11, 1, 2; a second 10 means the number cannot be valid."""
import datetime as dt

FIRST_WEIGHTS = tuple(range(1, 12))
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

# 7th IIN digit: the century of birth and the sex (odd male, even female).
CENTURY_BY_DIGIT = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}


def check_digit(first_eleven):
    """The check digit of eleven digits, or None when both passes give 10 (no valid number)."""
    digits = [int(c) for c in first_eleven]
    for weights in (FIRST_WEIGHTS, SECOND_WEIGHTS):
        remainder = sum(d * w for d, w in zip(digits, weights)) % 11
        if remainder != 10:
            return remainder
    return None


def has_valid_check_digit(number):
    return isinstance(number, str) and len(number) == 12 and number.isdigit() \
        and check_digit(number[:11]) == int(number[11])


def iin_problem(iin):
    """Why `iin` is not a valid IIN, or None."""
    if not (isinstance(iin, str) and len(iin) == 12 and iin.isdigit()):
        return "an IIN is 12 digits"
    if int(iin[6]) not in CENTURY_BY_DIGIT:
        return "the 7th digit of an IIN (century and sex) must be 1 to 6"
    if birth_date(iin) is None:
        return "the first six digits of an IIN must be a real birth date"
    if not has_valid_check_digit(iin):
        return "the IIN's check digit is wrong"
    return None


def is_valid_iin(iin):
    return iin_problem(iin) is None


def birth_date(iin):
    """The birth date the first six digits and the 7th give, or None when it is no real date."""
    year = CENTURY_BY_DIGIT[int(iin[6])] + int(iin[0:2])
    try:
        return dt.date(year, int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return None
