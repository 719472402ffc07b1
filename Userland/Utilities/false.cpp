// false: fails (status 1).

int main()
{
    return 1;
}
