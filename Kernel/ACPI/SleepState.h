#pragma once

// The S5 (soft-off) sleep type, read from the AML of a DSDT or SSDT without an AML interpreter.
//
// Powering off through ACPI means writing SLP_TYPa | SLP_EN to PM1a_CNT (and SLP_TYPb | SLP_EN to
// PM1b_CNT when the FADT has one), where SLP_TYPx are the first two integers of the \_S5 package
// (ACPI 6.5, sections 7.4.2 and 16.1.7). Those values live in the firmware's AML, so in general
// finding them takes an AML interpreter, which is a large dependency decision of its own (to be
// documented in docs/ when it is taken). QEMU and most firmware, however, declare \_S5 as a plain
// named package of integer constants,
//
//     Name (\_S5, Package () { 0x05, 0x05, Zero, Zero })
//
// which is simple to recognise in the byte stream. This file recognises exactly that shape and
// nothing more:
//   - NameOp (0x08), a NameString that is `_S5_` with an optional root prefix `\` or any number
//     of parent prefixes `^`, then PackageOp (0x12), a PkgLength in its 1 to 4 byte encoding
//     (ACPI 6.5, section 20.2.4) and NumElements (at least 2);
//   - the first two elements as integer constants: ZeroOp, OneOp, OnesOp, or BytePrefix,
//     WordPrefix, DWordPrefix or QWordPrefix with their data (section 20.2.3).
//
// Its limits, each of which returns an error rather than a guess:
//   - `_S5_` defined by a Method, or as a Name of something other than a package: NotSupported.
//   - package elements that are not integer constants (a name reference, RevisionOp, an
//     expression), or fewer than two elements (some old firmware packs both values in one
//     integer): NotSupported.
//   - a truncated definition, or a PkgLength that is badly encoded, shorter than its own
//     encoding plus NumElements, or running past the bytes given: Malformed.
//   - no `_S5_` definition at all: NotFound.
// The search is a scan of the bytes for that pattern, not a walk of the term list, so it does not
// know which scope a match is in and could in principle match bytes inside another object's data.
// The package, PkgLength and integer checks make an accidental match unlikely, the first
// well-formed match wins, and the values are masked to the 3 bits PM1 control expects, so even a
// wrong match cannot write outside the SLP_TYP field.

#include <Core/Error.h>
#include <Core/Span.h>
#include <Core/Types.h>

namespace Kernel::ACPI {

struct SleepType {
    // SLP_TYPa and SLP_TYPb, 0 to 7: PM1 control's SLP_TYP field holds 3 bits (bits 10 to 12).
    Core::u8 type_a { 0 };
    Core::u8 type_b { 0 };
};

// Finds the S5 sleep type in `definition_block_body`: the AML of a DSDT or SSDT after its 36-byte
// header (see table_contents_after_header()). Errors as listed above: NotFound, NotSupported,
// Malformed. When several candidates exist, the first well-formed one is returned; if none is
// well-formed, the error of the first `Name (_S5_, ...)` candidate is, and only when there is no
// such candidate does a `Method (_S5_)` give NotSupported.
[[nodiscard]] Core::Result<SleepType> find_s5_sleep_type(Core::ReadonlyBytes definition_block_body);

} // namespace Kernel::ACPI
