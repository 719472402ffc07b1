// The shell's line editor (Userland/Shell/LineEditor.h), fed keys as a terminal sends them.

#include <Userland/Shell/LineEditor.h>
#include <gtest/gtest.h>
#include <string>

namespace {

struct Terminal {
    std::string shown;
};

void show(const char* bytes, size_t length, void* context)
{
    static_cast<Terminal*>(context)->shown.append(bytes, length);
}

Shell::LineEditor::Result type(Shell::LineEditor& editor, const std::string& keys)
{
    Shell::LineEditor::Result result = Shell::LineEditor::Result::Editing;
    for (char key : keys) {
        result = editor.feed(static_cast<uint8_t>(key));
        if (result != Shell::LineEditor::Result::Editing)
            break;
    }
    return result;
}

const std::string left = "\x1b[D";
const std::string right = "\x1b[C";
const std::string up = "\x1b[A";
const std::string down = "\x1b[B";

} // namespace

TEST(ShellLineEditor, TypingEchoesAndEnterFinishes)
{
    Terminal terminal;
    Shell::LineEditor editor(show, &terminal);
    editor.begin("$ ");
    EXPECT_EQ(type(editor, "ls -l\r"), Shell::LineEditor::Result::Finished);
    EXPECT_STREQ(editor.line(), "ls -l");
    EXPECT_EQ(terminal.shown, "$ ls -l\n");
}

TEST(ShellLineEditor, CursorMovesInsertAndErase)
{
    Terminal terminal;
    Shell::LineEditor editor(show, &terminal);
    editor.begin("$ ");
    EXPECT_EQ(type(editor, "echo abc" + left + left + "X\r"), Shell::LineEditor::Result::Finished);
    EXPECT_STREQ(editor.line(), "echo aXbc");
    editor.begin("$ ");
    type(editor, "abcd" + left + left + "\x7f" + right + "\x1b[3~\r");
    EXPECT_STREQ(editor.line(), "ac");
    editor.begin("$ ");
    type(editor, "world\x01hello \x05!\r");
    EXPECT_STREQ(editor.line(), "hello world!");
    editor.begin("$ ");
    type(editor,
        "one two three\x17\x17"
        "four\r");
    EXPECT_STREQ(editor.line(), "one four");
    editor.begin("$ ");
    type(editor, "keep cut" + left + left + left + "\x0b\r");
    EXPECT_STREQ(editor.line(), "keep ");
    editor.begin("$ ");
    type(editor, "drop keep" + left + left + left + left + "\x15\r");
    EXPECT_STREQ(editor.line(), "keep");
}

TEST(ShellLineEditor, Utf8IsErasedAndMovedOverWhole)
{
    Terminal terminal;
    Shell::LineEditor editor(show, &terminal);
    editor.begin("$ ");
    type(editor,
        "a\xc3\xa9\xe2\x82\xac"
        "b" + left
            + left + "\x7f\r");
    EXPECT_STREQ(editor.line(),
        "a\xe2\x82\xac"
        "b");
}

TEST(ShellLineEditor, HistoryWalksBackAndForth)
{
    Terminal terminal;
    Shell::LineEditor editor(show, &terminal);
    for (const char* line : { "first", "second", "second", "" }) {
        editor.begin("$ ");
        type(editor, std::string(line) + "\r");
        editor.remember(editor.line());
    }
    EXPECT_EQ(editor.history_count(), 2u);
    editor.begin("$ ");
    type(editor, "draft" + up + up + up + "\r");
    EXPECT_STREQ(editor.line(), "first");
    editor.begin("$ ");
    type(editor, "draft" + up + up + down + "\r");
    EXPECT_STREQ(editor.line(), "second");
    editor.begin("$ ");
    type(editor, "draft" + up + down + "\r");
    EXPECT_STREQ(editor.line(), "draft");
}

TEST(ShellLineEditor, ControlCAndControlD)
{
    Terminal terminal;
    Shell::LineEditor editor(show, &terminal);
    editor.begin("$ ");
    EXPECT_EQ(type(editor, "rm it\x03"), Shell::LineEditor::Result::Cancelled);
    EXPECT_STREQ(editor.line(), "");
    editor.begin("$ ");
    EXPECT_EQ(type(editor, "\x04"), Shell::LineEditor::Result::EndOfInput);
    editor.begin("$ ");
    // ^D on a line with text deletes under the cursor instead.
    EXPECT_EQ(type(editor, "ab" + left + "\x04\r"), Shell::LineEditor::Result::Finished);
    EXPECT_STREQ(editor.line(), "a");
}

TEST(ShellLineEditor, AnOverlongLineStopsGrowing)
{
    Terminal terminal;
    Shell::LineEditor editor(show, &terminal);
    editor.begin("$ ");
    type(editor, std::string(Shell::LineEditor::maximum_line + 100, 'x') + "\r");
    EXPECT_EQ(std::string(editor.line()).size(), Shell::LineEditor::maximum_line - 1);
}

TEST(ShellLineEditor, RedrawPutsTheCursorBack)
{
    Terminal terminal;
    Shell::LineEditor editor(show, &terminal);
    editor.begin("$ ");
    type(editor, "abc" + left + left);
    terminal.shown.clear();
    type(editor, "X");
    EXPECT_EQ(terminal.shown, "\r$ aXbc\x1b[K\x1b[2D");
}
