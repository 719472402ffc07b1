// The shell's language (Userland/Shell/Syntax.h): parsing lines, expanding words.

#include <Userland/Shell/Syntax.h>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

std::unique_ptr<Shell::ParsedLine> parse(const char* line, const char** problem = nullptr)
{
    auto parsed = std::make_unique<Shell::ParsedLine>();
    const char* reason = Shell::parse_line(line, *parsed);
    if (problem)
        *problem = reason;
    else
        EXPECT_EQ(reason, nullptr) << line;
    return parsed;
}

std::vector<std::string> words(const Shell::Command& command)
{
    return { command.words, command.words + command.word_count };
}

std::map<std::string, std::string> s_variables;

const char* lookup(const char* name, void*)
{
    auto found = s_variables.find(name);
    return found == s_variables.end() ? nullptr : found->second.c_str();
}

std::string expand(const char* raw)
{
    char output[256];
    if (!Shell::expand_word(raw, lookup, nullptr, output, sizeof(output)))
        return "<too long>";
    return output;
}

} // namespace

TEST(ShellSyntax, SplitsPipelinesCommandsAndJoints)
{
    auto parsed = parse("ls /bin | grep sh | wc -l; echo a && echo b || echo c & sleep 1 &");
    ASSERT_EQ(parsed->pipeline_count, 5u);
    ASSERT_EQ(parsed->pipelines[0].command_count, 3u);
    EXPECT_EQ(words(parsed->pipelines[0].commands[0]), (std::vector<std::string> { "ls", "/bin" }));
    EXPECT_EQ(words(parsed->pipelines[0].commands[2]), (std::vector<std::string> { "wc", "-l" }));
    EXPECT_EQ(parsed->pipelines[0].joint, Shell::Joint::First);
    EXPECT_EQ(parsed->pipelines[1].joint, Shell::Joint::First);
    EXPECT_EQ(parsed->pipelines[2].joint, Shell::Joint::And);
    EXPECT_EQ(parsed->pipelines[3].joint, Shell::Joint::Or);
    EXPECT_TRUE(parsed->pipelines[3].background);
    EXPECT_EQ(parsed->pipelines[4].joint, Shell::Joint::First);
    EXPECT_TRUE(parsed->pipelines[4].background);
    EXPECT_FALSE(parsed->pipelines[0].background);
}

TEST(ShellSyntax, ReadsRedirections)
{
    auto parsed = parse("sort <in >out 2>err >>log 2>&1 2>>errors");
    const Shell::Command& command = parsed->pipelines[0].commands[0];
    EXPECT_EQ(words(command), (std::vector<std::string> { "sort" }));
    ASSERT_EQ(command.redirection_count, 6u);
    EXPECT_EQ(command.redirections[0].kind, Shell::RedirectionKind::Input);
    EXPECT_STREQ(command.redirections[0].target, "in");
    EXPECT_EQ(command.redirections[1].kind, Shell::RedirectionKind::Output);
    EXPECT_EQ(command.redirections[2].kind, Shell::RedirectionKind::ErrorOutput);
    EXPECT_EQ(command.redirections[3].kind, Shell::RedirectionKind::Append);
    EXPECT_STREQ(command.redirections[3].target, "log");
    EXPECT_EQ(command.redirections[4].kind, Shell::RedirectionKind::ErrorToOutput);
    EXPECT_EQ(command.redirections[4].target, nullptr);
    EXPECT_EQ(command.redirections[5].kind, Shell::RedirectionKind::ErrorAppend);
}

TEST(ShellSyntax, QuotesKeepOperatorsAndSpacesInsideWords)
{
    auto parsed = parse("echo 'a | b' \"c ; d\" e\\ f # a comment | not a pipe");
    ASSERT_EQ(parsed->pipeline_count, 1u);
    EXPECT_EQ(words(parsed->pipelines[0].commands[0]),
        (std::vector<std::string> { "echo", "'a | b'", "\"c ; d\"", "e\\ f" }));
}

TEST(ShellSyntax, MalformedLinesAreRefusedWithAReason)
{
    const char* lines[]
        = { "| ls", "ls |", "ls &&", "a || ; b", "echo 'open", "echo \"open", "cat <", "; ;", "ls > |" };
    for (const char* line : lines) {
        const char* problem = nullptr;
        parse(line, &problem);
        EXPECT_NE(problem, nullptr) << line;
    }
}

TEST(ShellSyntax, EmptyAndCommentLinesHaveNoPipelines)
{
    EXPECT_EQ(parse("")->pipeline_count, 0u);
    EXPECT_EQ(parse("   # only a comment")->pipeline_count, 0u);
    EXPECT_EQ(parse("echo a;")->pipeline_count, 1u);
}

TEST(ShellSyntax, LimitsAreReportedNotOverrun)
{
    std::string many(70 * 2, ' ');
    for (size_t index = 0; index < many.size(); index += 2)
        many[index] = 'w';
    const char* problem = nullptr;
    parse(many.c_str(), &problem);
    EXPECT_STREQ(problem, "too many words");
    std::string long_line(5000, 'x');
    parse(long_line.c_str(), &problem);
    EXPECT_STREQ(problem, "line too long");
}

TEST(ShellSyntax, ExpandsVariablesStatusAndPositionalParameters)
{
    s_variables = { { "name", "world" }, { "?", "127" }, { "1", "first" }, { "empty", "" } };
    EXPECT_EQ(expand("$name"), "world");
    EXPECT_EQ(expand("${name}s"), "worlds");
    EXPECT_EQ(expand("$names"), "");
    EXPECT_EQ(expand("status=$?"), "status=127");
    EXPECT_EQ(expand("$1-$2"), "first-");
    EXPECT_EQ(expand("a$empty.b"), "a.b");
    EXPECT_EQ(expand("cost $5"), "cost ");
    EXPECT_EQ(expand("$"), "$");
    EXPECT_EQ(expand("$-x"), "$-x");
    EXPECT_EQ(expand("${unclosed"), "${unclosed");
}

TEST(ShellSyntax, QuotesAndEscapesAreRemoved)
{
    s_variables = { { "name", "world" } };
    EXPECT_EQ(expand("'$name'"), "$name");
    EXPECT_EQ(expand("\"$name\""), "world");
    EXPECT_EQ(expand("\"a \\\"q\\\" \\$name \\n\""), "a \"q\" $name \\n");
    EXPECT_EQ(expand("\\$name"), "$name");
    EXPECT_EQ(expand("it'\"'s"), "it\"s");
    EXPECT_EQ(expand("''"), "");
}

TEST(ShellSyntax, ExpansionThatDoesNotFitIsRefused)
{
    std::string value(300, 'v');
    s_variables = { { "big", value } };
    EXPECT_EQ(expand("$big"), "<too long>");
}

TEST(ShellSyntax, AssignmentsAreRecognised)
{
    EXPECT_TRUE(Shell::is_assignment("x=1"));
    EXPECT_TRUE(Shell::is_assignment("_name2="));
    EXPECT_TRUE(Shell::is_assignment("x=\"a b\""));
    EXPECT_FALSE(Shell::is_assignment("=1"));
    EXPECT_FALSE(Shell::is_assignment("2x=1"));
    EXPECT_FALSE(Shell::is_assignment("a-b=1"));
    EXPECT_FALSE(Shell::is_assignment("echo"));
}
