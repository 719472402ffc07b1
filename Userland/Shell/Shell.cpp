// The shell (docs/shell.md): reads lines from the terminal with line editing and history
// (LineEditor.h), or from a script or `-c`, parses them (Syntax.h) and runs them: programs
// of the RAM disk found through PATH, with pipes, redirections, ';', '&&', '||' and
// background jobs; $? holds the last exit status.

#include <Userland/Runtime/System.h>
#include <Userland/Shell/LineEditor.h>
#include <Userland/Shell/Syntax.h>
#include <errno.h>
#include <fcntl.h>
#include <raeen/spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

namespace {

constexpr size_t maximum_expanded = 1024;
constexpr size_t maximum_jobs = 16;

struct Job {
    int number;
    int64_t processes[Shell::maximum_commands];
    size_t process_count;
    char text[96];
};

struct ShellState {
    int64_t last_status { 0 };
    bool interactive { false };
    bool exit_requested { false };
    int64_t exit_status { 0 };
    // The script's name and arguments: $0 to $9.
    char** positional { nullptr };
    int positional_count { 0 };
    // How many lines are running, one inside another (source).
    int depth { 0 };
    Job jobs[maximum_jobs];
    size_t job_count { 0 };
    int next_job_number { 1 };
};

ShellState s_shell;

const char* lookup_variable(const char* name, void*)
{
    static char number[24];
    if (name[0] == '?' && name[1] == 0) {
        snprintf(number, sizeof(number), "%lld", static_cast<long long>(s_shell.last_status));
        return number;
    }
    if (name[0] >= '0' && name[0] <= '9' && name[1] == 0) {
        int index = name[0] - '0';
        return index < s_shell.positional_count ? s_shell.positional[index] : "";
    }
    const char* value = getenv(name);
    return value ? value : "";
}

// The expanded words of a command, each from malloc, and their array null-terminated.
struct ExpandedWords {
    char* words[Shell::maximum_words + 1] {};
    size_t count { 0 };

    ~ExpandedWords()
    {
        for (size_t index = 0; index < count; ++index)
            free(words[index]);
    }
};

char* expand(const char* raw)
{
    char buffer[maximum_expanded];
    if (!Shell::expand_word(raw, lookup_variable, nullptr, buffer, sizeof(buffer))) {
        fprintf(stderr, "sh: a word is too long once expanded\n");
        return nullptr;
    }
    return strdup(buffer);
}

bool expand_command(const Shell::Command& command, ExpandedWords& expanded)
{
    for (size_t index = 0; index < command.word_count; ++index) {
        char* word = expand(command.words[index]);
        if (!word)
            return false;
        expanded.words[expanded.count++] = word;
    }
    expanded.words[expanded.count] = nullptr;
    return true;
}

// ---- builtins ----

int64_t builtin_cd(ExpandedWords& words)
{
    const char* target = words.count > 1 ? words.words[1] : getenv("HOME");
    if (!target)
        target = "/";
    if (chdir(target) != 0) {
        fprintf(stderr, "cd: %s: %s\n", target, strerror(errno));
        return 1;
    }
    char directory[260];
    if (getcwd(directory, sizeof(directory)))
        (void)setenv("PWD", directory, 1);
    return 0;
}

int64_t builtin_pwd(ExpandedWords&)
{
    char directory[260];
    if (!getcwd(directory, sizeof(directory)))
        return 1;
    printf("%s\n", directory);
    return 0;
}

int64_t builtin_exit(ExpandedWords& words)
{
    s_shell.exit_requested = true;
    s_shell.exit_status = words.count > 1 ? strtoll(words.words[1], nullptr, 10) : s_shell.last_status;
    return s_shell.exit_status;
}

int64_t builtin_export(ExpandedWords& words)
{
    int64_t status = 0;
    for (size_t index = 1; index < words.count; ++index) {
        char* equals = strchr(words.words[index], '=');
        if (!equals)
            continue; // every variable is exported already
        *equals = 0;
        if (setenv(words.words[index], equals + 1, 1) != 0) {
            fprintf(stderr, "export: %s: %s\n", words.words[index], strerror(errno));
            status = 1;
        }
    }
    return status;
}

int64_t builtin_unset(ExpandedWords& words)
{
    for (size_t index = 1; index < words.count; ++index)
        (void)unsetenv(words.words[index]);
    return 0;
}

// Reports and forgets the background jobs that have finished.
void report_finished_jobs(bool block)
{
    size_t kept = 0;
    for (size_t index = 0; index < s_shell.job_count; ++index) {
        Job& job = s_shell.jobs[index];
        bool running = false;
        int64_t status = 0;
        for (size_t process = 0; process < job.process_count; ++process) {
            if (job.processes[process] < 0)
                continue;
            int64_t exit_status = 0;
            int waited
                = raeen_wait(static_cast<uint32_t>(job.processes[process]), &exit_status, block ? 1 : 0);
            if (waited == 1) {
                running = true;
                continue;
            }
            job.processes[process] = -1;
            status = exit_status;
        }
        if (running) {
            s_shell.jobs[kept++] = job;
            continue;
        }
        fprintf(
            stderr, "[%d] done (status %lld)  %s\n", job.number, static_cast<long long>(status), job.text);
    }
    s_shell.job_count = kept;
}

int64_t builtin_jobs(ExpandedWords&)
{
    for (size_t index = 0; index < s_shell.job_count; ++index)
        printf("[%d] running  %s\n", s_shell.jobs[index].number, s_shell.jobs[index].text);
    return 0;
}

int64_t builtin_wait(ExpandedWords&)
{
    report_finished_jobs(true);
    return 0;
}

int64_t run_script_file(const char* path, char** arguments, int argument_count);

int64_t builtin_source(ExpandedWords& words)
{
    if (words.count < 2) {
        fprintf(stderr, "source: a file is needed\n");
        return 2;
    }
    return run_script_file(words.words[1], words.words + 1, static_cast<int>(words.count - 1));
}

int64_t builtin_help(ExpandedWords&)
{
    printf("RaeenOS shell. Built in: cd, pwd, exit, export, unset, jobs, wait, source (.), help.\n"
           "Programs are in /bin (ls /bin). Syntax: a | b, < > >> 2> 2>&1, ; && || &, 'quotes', \"$VAR\", "
           "$?.\n");
    return 0;
}

struct Builtin {
    const char* name;
    int64_t (*run)(ExpandedWords&);
};

constexpr Builtin builtins[] = {
    { "cd", builtin_cd },
    { "pwd", builtin_pwd },
    { "exit", builtin_exit },
    { "export", builtin_export },
    { "unset", builtin_unset },
    { "jobs", builtin_jobs },
    { "wait", builtin_wait },
    { "source", builtin_source },
    { ".", builtin_source },
    { "help", builtin_help },
};

const Builtin* find_builtin(const char* name)
{
    for (const Builtin& builtin : builtins) {
        if (strcmp(builtin.name, name) == 0)
            return &builtin;
    }
    return nullptr;
}

// ---- running pipelines ----

struct CommandStreams {
    int input { 0 };
    int output { 1 };
    int error { 2 };
    // Descriptors this command opened for itself, closed once it started.
    int opened[Shell::maximum_redirections + 1];
    size_t opened_count { 0 };

    void close_opened()
    {
        for (size_t index = 0; index < opened_count; ++index)
            (void)close(opened[index]);
        opened_count = 0;
    }
};

bool apply_redirections(const Shell::Command& command, CommandStreams& streams)
{
    for (size_t index = 0; index < command.redirection_count; ++index) {
        const Shell::Redirection& redirection = command.redirections[index];
        if (redirection.kind == Shell::RedirectionKind::ErrorToOutput) {
            streams.error = streams.output;
            continue;
        }
        char* target = expand(redirection.target);
        if (!target)
            return false;
        int flags = O_RDONLY;
        switch (redirection.kind) {
        case Shell::RedirectionKind::Output:
        case Shell::RedirectionKind::ErrorOutput:
            flags = O_WRONLY | O_CREAT | O_TRUNC;
            break;
        case Shell::RedirectionKind::Append:
        case Shell::RedirectionKind::ErrorAppend:
            flags = O_WRONLY | O_CREAT | O_APPEND;
            break;
        default:
            break;
        }
        int descriptor = open(target, flags, 0666);
        if (descriptor < 0) {
            fprintf(stderr, "sh: %s: %s\n", target, strerror(errno));
            free(target);
            return false;
        }
        free(target);
        streams.opened[streams.opened_count++] = descriptor;
        if (redirection.kind == Shell::RedirectionKind::Input)
            streams.input = descriptor;
        else if (redirection.kind == Shell::RedirectionKind::Output
            || redirection.kind == Shell::RedirectionKind::Append)
            streams.output = descriptor;
        else
            streams.error = descriptor;
    }
    return true;
}

// Runs a builtin or an assignment in the shell itself (a lone command in the foreground),
// with its output redirected if asked. Returns false when the command is neither.
bool run_in_shell(const Shell::Command& command, int64_t& status)
{
    ExpandedWords words;
    if (!expand_command(command, words)) {
        status = 1;
        return true;
    }
    if (words.count == 0)
        return false;
    bool assignments_only = true;
    for (size_t index = 0; index < words.count; ++index)
        assignments_only = assignments_only && Shell::is_assignment(command.words[index]);
    const Builtin* builtin = find_builtin(words.words[0]);
    if (!assignments_only && !builtin)
        return false;
    CommandStreams streams;
    if (!apply_redirections(command, streams)) {
        streams.close_opened();
        status = 1;
        return true;
    }
    if (assignments_only) {
        for (size_t index = 0; index < words.count; ++index) {
            char* equals = strchr(words.words[index], '=');
            *equals = 0;
            (void)setenv(words.words[index], equals + 1, 1);
        }
        status = 0;
        streams.close_opened();
        return true;
    }
    // The builtin writes to the redirected descriptors through stdout and stderr. Both
    // targets are taken before either is replaced: "2>&1 >file" sends errors where
    // standard output was, not to the file.
    fflush(stdout);
    int saved_output = streams.output != 1 || streams.error != 2 ? dup(1) : -1;
    int saved_error = streams.error != 2 ? dup(2) : -1;
    int error_target = streams.error == 1 ? saved_output : streams.error;
    if (streams.output != 1)
        (void)dup2(streams.output, 1);
    if (saved_error >= 0)
        (void)dup2(error_target, 2);
    status = builtin->run(words);
    fflush(stdout);
    if (saved_output >= 0) {
        (void)dup2(saved_output, 1);
        (void)close(saved_output);
    }
    if (saved_error >= 0) {
        (void)dup2(saved_error, 2);
        (void)close(saved_error);
    }
    streams.close_opened();
    return true;
}

void describe(const Shell::Pipeline& pipeline, char* text, size_t capacity)
{
    size_t length = 0;
    text[0] = 0;
    for (size_t command = 0; command < pipeline.command_count; ++command) {
        for (size_t word = 0; word < pipeline.commands[command].word_count; ++word) {
            int written = snprintf(text + length, capacity - length, "%s%s", length ? " " : "",
                pipeline.commands[command].words[word]);
            if (written < 0 || static_cast<size_t>(written) >= capacity - length)
                return;
            length += static_cast<size_t>(written);
        }
        if (command + 1 < pipeline.command_count) {
            int written = snprintf(text + length, capacity - length, " |");
            if (written < 0 || static_cast<size_t>(written) >= capacity - length)
                return;
            length += static_cast<size_t>(written);
        }
    }
}

int64_t run_pipeline(const Shell::Pipeline& pipeline)
{
    if (pipeline.command_count == 1 && !pipeline.background) {
        int64_t status = 0;
        if (run_in_shell(pipeline.commands[0], status))
            return status;
    }
    int64_t processes[Shell::maximum_commands];
    size_t started = 0;
    int64_t failure_status = 0;
    int previous_read_end = -1;
    fflush(stdout);
    for (size_t index = 0; index < pipeline.command_count; ++index) {
        const Shell::Command& command = pipeline.commands[index];
        CommandStreams streams;
        int pipe_ends[2] = { -1, -1 };
        if (index + 1 < pipeline.command_count && pipe(pipe_ends) != 0) {
            fprintf(stderr, "sh: pipe: %s\n", strerror(errno));
            failure_status = 1;
        }
        if (previous_read_end >= 0)
            streams.input = previous_read_end;
        if (pipe_ends[1] >= 0)
            streams.output = pipe_ends[1];
        ExpandedWords words;
        char path[260];
        int64_t process = -1;
        if (failure_status == 0 && expand_command(command, words) && apply_redirections(command, streams)) {
            if (words.count == 0) {
                failure_status = 0;
            } else if (find_builtin(words.words[0])) {
                fprintf(
                    stderr, "sh: %s: a builtin cannot run in a pipeline or the background\n", words.words[0]);
                failure_status = 2;
            } else if (raeen_find_program(words.words[0], path, sizeof(path)) != 0) {
                fprintf(stderr, "sh: %s: command not found\n", words.words[0]);
                failure_status = 127;
            } else {
                raeen_spawn_options options { streams.input, streams.output, streams.error };
                process = raeen_spawn(path, words.words, nullptr, &options);
                if (process < 0) {
                    fprintf(stderr, "sh: %s: %s\n", words.words[0], strerror(errno));
                    failure_status = errno == ENOENT ? 127 : 126;
                }
            }
        } else if (failure_status == 0) {
            failure_status = 1;
        }
        streams.close_opened();
        if (previous_read_end >= 0)
            (void)close(previous_read_end);
        if (pipe_ends[1] >= 0)
            (void)close(pipe_ends[1]);
        previous_read_end = pipe_ends[0];
        if (process >= 0)
            processes[started++] = process;
    }
    if (previous_read_end >= 0)
        (void)close(previous_read_end);
    if (pipeline.background && started > 0) {
        if (s_shell.job_count == maximum_jobs) {
            fprintf(stderr, "sh: too many background jobs; waiting for this one\n");
        } else {
            Job& job = s_shell.jobs[s_shell.job_count++];
            job.number = s_shell.next_job_number++;
            job.process_count = started;
            for (size_t index = 0; index < started; ++index)
                job.processes[index] = processes[index];
            describe(pipeline, job.text, sizeof(job.text));
            fprintf(stderr, "[%d] started  %s\n", job.number, job.text);
            return 0;
        }
    }
    int64_t status = failure_status;
    for (size_t index = 0; index < started; ++index) {
        int64_t exit_status = 0;
        if (raeen_wait(static_cast<uint32_t>(processes[index]), &exit_status, 1) == 0 && index + 1 == started
            && failure_status == 0)
            status = exit_status;
    }
    return status;
}

void run_line(const char* line)
{
    // Each line its own parse (a `source` inside it runs lines of its own), on the heap: a
    // parsed line is large. Sourcing is bounded, so a script that sources itself ends.
    constexpr int maximum_depth = 16;
    if (s_shell.depth == maximum_depth) {
        fprintf(stderr, "sh: scripts nested more than %d deep\n", maximum_depth);
        s_shell.last_status = 2;
        return;
    }
    auto* parsed_storage = static_cast<Shell::ParsedLine*>(malloc(sizeof(Shell::ParsedLine)));
    if (!parsed_storage) {
        fprintf(stderr, "sh: out of memory\n");
        s_shell.last_status = 2;
        return;
    }
    Shell::ParsedLine& parsed = *parsed_storage;
    const char* problem = Shell::parse_line(line, parsed);
    if (problem) {
        fprintf(stderr, "sh: %s\n", problem);
        s_shell.last_status = 2;
        free(parsed_storage);
        return;
    }
    ++s_shell.depth;
    for (size_t index = 0; index < parsed.pipeline_count && !s_shell.exit_requested; ++index) {
        const Shell::Pipeline& pipeline = parsed.pipelines[index];
        if (pipeline.joint == Shell::Joint::And && s_shell.last_status != 0)
            continue;
        if (pipeline.joint == Shell::Joint::Or && s_shell.last_status == 0)
            continue;
        s_shell.last_status = run_pipeline(pipeline);
    }
    --s_shell.depth;
    free(parsed_storage);
    fflush(stdout);
}

int64_t run_stream(FILE* input)
{
    char* line = nullptr;
    size_t capacity = 0;
    while (!s_shell.exit_requested && getline(&line, &capacity, input) >= 0) {
        size_t length = strlen(line);
        if (length > 0 && line[length - 1] == '\n')
            line[length - 1] = 0;
        run_line(line);
    }
    free(line);
    return s_shell.exit_requested ? s_shell.exit_status : s_shell.last_status;
}

int64_t run_script_file(const char* path, char** arguments, int argument_count)
{
    FILE* script = fopen(path, "r");
    if (!script) {
        fprintf(stderr, "sh: %s: %s\n", path, strerror(errno));
        return 127;
    }
    char** saved_positional = s_shell.positional;
    int saved_count = s_shell.positional_count;
    s_shell.positional = arguments;
    s_shell.positional_count = argument_count;
    int64_t status = run_stream(script);
    s_shell.positional = saved_positional;
    s_shell.positional_count = saved_count;
    fclose(script);
    return status;
}

void write_to_terminal(const char* bytes, size_t length, void*)
{
    (void)write(1, bytes, length);
}

int64_t run_interactive()
{
    struct termios original { };
    (void)tcgetattr(0, &original);
    Shell::LineEditor editor(write_to_terminal, nullptr);
    struct {
        unsigned char keys[64];
        size_t count { 0 };
        size_t next { 0 };
    } typed_ahead;
    bool first_prompt = true;
    printf("RaeenOS shell. Type help for help.\n");
    fflush(stdout);
    while (!s_shell.exit_requested) {
        report_finished_jobs(false);
        char prompt[300];
        char directory[260];
        snprintf(
            prompt, sizeof(prompt), "raeen:%s$ ", getcwd(directory, sizeof(directory)) ? directory : "?");
        // The editor reads keys as they come: no line discipline, no echo, ^C is a key.
        struct termios raw = original;
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG);
        (void)tcsetattr(0, TCSANOW, &raw);
        editor.begin(prompt);
        if (first_prompt) {
            // ./raeen bench reads this: boot to the shell's prompt, on the kernel's clock.
            first_prompt = false;
            timespec now {};
            (void)clock_gettime(CLOCK_MONOTONIC, &now);
            char line[64];
            int length = snprintf(line, sizeof(line), "first prompt at %lld ns",
                static_cast<long long>(now.tv_sec) * 1000000000ll + now.tv_nsec);
            (void)System::debug_log(line, static_cast<size_t>(length));
        }
        Shell::LineEditor::Result result = Shell::LineEditor::Result::Editing;
        while (result == Shell::LineEditor::Result::Editing) {
            if (typed_ahead.next == typed_ahead.count) {
                ssize_t received = read(0, typed_ahead.keys, sizeof(typed_ahead.keys));
                if (received <= 0) {
                    result = Shell::LineEditor::Result::EndOfInput;
                    break;
                }
                typed_ahead.count = static_cast<size_t>(received);
                typed_ahead.next = 0;
            }
            // Keys typed after the end of this line stay for the next one.
            while (typed_ahead.next < typed_ahead.count && result == Shell::LineEditor::Result::Editing)
                result = editor.feed(typed_ahead.keys[typed_ahead.next++]);
        }
        // Programs the line runs get the terminal as they expect it.
        (void)tcsetattr(0, TCSANOW, &original);
        if (result == Shell::LineEditor::Result::EndOfInput) {
            printf("exit\n");
            break;
        }
        if (result == Shell::LineEditor::Result::Cancelled)
            continue;
        editor.remember(editor.line());
        run_line(editor.line());
    }
    return s_shell.exit_requested ? s_shell.exit_status : s_shell.last_status;
}

} // namespace

int main(int argument_count, char** arguments)
{
    s_shell.positional = arguments;
    s_shell.positional_count = argument_count;
    if (!getenv("PATH"))
        (void)setenv("PATH", "/bin", 1);
    if (argument_count >= 3 && strcmp(arguments[1], "-c") == 0) {
        s_shell.positional = arguments + 2;
        s_shell.positional_count = argument_count - 2;
        run_line(arguments[2]);
        return static_cast<int>(s_shell.exit_requested ? s_shell.exit_status : s_shell.last_status);
    }
    if (argument_count >= 2)
        return static_cast<int>(run_script_file(arguments[1], arguments + 1, argument_count - 1));
    if (isatty(0))
        return static_cast<int>(run_interactive());
    return static_cast<int>(run_stream(stdin));
}
