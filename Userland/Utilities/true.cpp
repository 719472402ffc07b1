// true: succeeds (status 0).

int main()
{
    return 0;
}
