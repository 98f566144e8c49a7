import { Link } from 'react-router-dom';
import { useT } from '../i18n/index.jsx';

export default function NotFound() {
  const t = useT();
  return (
    <div className="flex min-h-[50vh] flex-col items-center justify-center gap-3 text-center">
      <h1 className="text-xl font-semibold">{t('notFound.title')}</h1>
      <Link to="/dashboard" className="btn-primary">
        {t('nav.back')}
      </Link>
    </div>
  );
}
